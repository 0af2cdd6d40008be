/**
 * A {@linkcode RedisConnection} over an ioredis client the user passed in, e.g. a `Cluster`,
 * which the store's own client does not speak. Private to the Redis store. @module
 */

import type { Redis } from "ioredis";
import type { Arg } from "./_resp.ts";
import {
  awaitQuit,
  type ConnectionStatus,
  type RedisClient,
  type RedisConnection,
} from "./_connection.ts";

/** Sends the store's commands through an ioredis `Redis` or `Cluster`. */
export class IoredisConnection implements RedisConnection {
  #client: RedisClient;
  #isOwned: boolean;

  /**
   * @param client the ioredis client
   * @param options `isOwned`: whether `quit()` closes the client (the store's own duplicate)
   * or leaves it to the user who passed it in
   */
  constructor(client: RedisClient, options: { isOwned: boolean }) {
    this.#client = client;
    this.#isOwned = options.isOwned;
  }

  /** A connection of the store's own beside `client`, for pub/sub. */
  static duplicate(client: RedisClient): IoredisConnection {
    // Both Redis and Cluster have duplicate(); TS cannot call a union of their overloads.
    // Failures reach the caller as rejected commands; the event would only be noise.
    const duplicate = (client as Redis).duplicate().on("error", () => {});
    return new IoredisConnection(duplicate, { isOwned: true });
  }

  get status(): ConnectionStatus {
    const status = this.#client.status;
    if (status === "ready" || status === "connecting" || status === "reconnecting") return status;
    return status === "end" || status === "close" ? "end" : "connecting";
  }

  get isCluster(): boolean {
    return (this.#client as { isCluster?: boolean }).isCluster === true;
  }

  call(command: readonly Arg[]): Promise<unknown> {
    const [name, ...args] = command;
    return this.#client.call(String(name), ...args);
  }

  async subscribe(
    channel: string,
    onMessage: (message: string) => void,
    onRenewed?: () => void,
  ): Promise<void> {
    this.#client.on("message", (from: string, message: string) => {
      if (from === channel) onMessage(message);
    });
    await this.#client.subscribe(channel);
    // ioredis re-subscribes by itself after a reconnect, just after its "ready"; this second
    // SUBSCRIBE (a no-op for Redis) is confirmed after that one, so the renewal is complete.
    if (onRenewed) {
      this.#client.on("ready", () => {
        this.#client.subscribe(channel).then(onRenewed, () => {});
      });
    }
  }

  /** Closes a connection of the store's own; one passed in stays open for its owner. */
  async quit(): Promise<void> {
    const client = this.#client;
    if (!this.#isOwned || client.status === "end") return;
    if (client.status === "ready") await awaitQuit(client.quit());
    client.disconnect();
  }
}
