/**
 * A {@linkcode RedisConnection} over node-redis (the `redis` npm package), the official
 * client, so `bench:peers` can run Kinetik's Redis store on it beside the store's own client
 * (`kinetik-node-redis` against `kinetik`). It takes the same settings the own client gets
 * from a URL. node-redis is loaded from `bench/peers/node_modules` (never a dependency of
 * Kinetik), through `createRequire` so that Deno and Bun load it alike. @module
 */

import { createRequire } from "node:module";
import type { RedisConnection } from "../../../stores/redis/_connection.ts";
import { awaitQuit, type ConnectionStatus } from "../../../stores/redis/_connection.ts";
import type { ClientSettings } from "../../../stores/redis/_client.ts";
import type { Arg } from "../../../stores/redis/_resp.ts";

/** The part of a node-redis client used here. */
interface NodeRedisClient {
  readonly isOpen: boolean;
  readonly isReady: boolean;
  connect(): Promise<unknown>;
  sendCommand(args: string[]): Promise<unknown>;
  subscribe(channel: string, listener: (message: string) => void): Promise<void>;
  close(): Promise<unknown>;
  destroy(): void;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
}

const require = createRequire(import.meta.url);
const nodeRedis = require("redis") as {
  createClient(options: Record<string, unknown>): NodeRedisClient;
};

/** node-redis's version, for the results. */
export const NODE_REDIS_VERSION: string = require("redis/package.json").version;

/** One node-redis client with the store's settings. */
export class NodeRedisConnection implements RedisConnection {
  readonly isCluster = false;
  #client: NodeRedisClient;
  #isClosed = false;

  constructor(settings: ClientSettings) {
    this.#client = nodeRedis.createClient({
      // RESP2, as the own client speaks: the same replies for the store's scripts.
      RESP: 2,
      socket: {
        host: settings.host,
        port: settings.port,
        ...(settings.tls ? { tls: true, ...settings.tls } : {}),
        connectTimeout: settings.connectTimeout,
        noDelay: true,
        keepAlive: true,
        reconnectStrategy: (retries: number) => settings.retryDelay(retries + 1),
      },
      username: settings.username,
      password: settings.password,
      database: settings.db,
      name: settings.name,
    });
    // Failures reach the caller as rejected commands; without a listener they would crash.
    this.#client.on("error", () => {});
    this.#client.connect().catch(() => {});
  }

  get status(): ConnectionStatus {
    if (this.#isClosed) return "end";
    return this.#client.isReady ? "ready" : this.#client.isOpen ? "reconnecting" : "connecting";
  }

  call(command: readonly Arg[]): Promise<unknown> {
    const args = new Array<string>(command.length);
    for (let i = 0; i < command.length; i++) args[i] = String(command[i]);
    return this.#client.sendCommand(args);
  }

  async subscribe(
    channel: string,
    onMessage: (message: string) => void,
    onRenewed?: () => void,
  ): Promise<void> {
    await this.#client.subscribe(channel, onMessage);
    // node-redis subscribes again by itself on reconnect, before it is ready.
    if (onRenewed) this.#client.on("ready", () => onRenewed());
  }

  async quit(): Promise<void> {
    if (this.#isClosed) return;
    this.#isClosed = true;
    if (this.#client.isReady) await awaitQuit(this.#client.close());
    if (this.#client.isOpen) this.#client.destroy();
  }
}
