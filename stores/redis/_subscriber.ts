/**
 * The Redis store's pub/sub side: one dedicated connection per store, opened on the first
 * `subscribe`, fanned out to every stream this process asked for. The connection
 * re-subscribes by itself after a reconnect, also after it fell silent (the client's
 * watchdog probes it); what was published while it was down is lost, so each renewal hands
 * every stream a wake-up, and idle processors look for work at once instead of after their
 * interval. A refused login errors the open streams (with what to change), since it would
 * otherwise leave them silent; the connection goes on trying. Private to the Redis store.
 * @module
 */

import type { RedisConnection } from "./_connection.ts";
import type { StoreMessage } from "../../src/store.ts";
import { authStoreError, RedisAuthError } from "./_auth.ts";

/** Fans the messages of one channel out to streams. */
export class Subscriber {
  #open: () => RedisConnection;
  #channel: string;
  #client: RedisConnection | undefined;
  #ready: Promise<void> = Promise.resolve();
  /** The open streams, with the origin of the events their reader publishes itself. */
  #controllers = new Map<ReadableStreamDefaultController<StoreMessage>, string | undefined>();
  #isSubscribed = false;

  /** @param open makes the dedicated connection; @param channel the channel to follow */
  constructor(open: () => RedisConnection, channel: string) {
    this.#open = open;
    this.#channel = channel;
  }

  /**
   * Settles once the SUBSCRIBE of the latest `stream()` is confirmed, so a caller that
   * publishes after subscribing in the same process hears its own message.
   */
  get ready(): Promise<void> {
    return this.#ready;
  }

  /** Whether this connection follows the channel now. */
  get isSubscribed(): boolean {
    return this.#isSubscribed && this.#client?.status === "ready";
  }

  /** Whether a stream other than those of `origin`'s reader is open. */
  isListenedBesides(origin: string): boolean {
    for (const other of this.#controllers.values()) if (other !== origin) return true;
    return false;
  }

  /**
   * A stream of the channel's messages until `signal` aborts or `close()`; `origin` is that
   * of the events its reader publishes (see `isListenedBesides`).
   */
  stream(signal: AbortSignal, origin?: string): ReadableStream<StoreMessage> {
    if (!this.#client) this.#connect();
    let end = () => {};
    return new ReadableStream<StoreMessage>({
      start: (controller) => {
        if (signal.aborted) return controller.close();
        this.#controllers.set(controller, origin);
        end = () => {
          signal.removeEventListener("abort", end);
          if (!this.#controllers.delete(controller)) return;
          try {
            controller.close();
          } catch {
            // Already closed or cancelled by the reader.
          }
        };
        signal.addEventListener("abort", end, { once: true });
      },
      cancel: () => end(),
    });
  }

  /** Ends every stream and closes the connection. */
  async close(): Promise<void> {
    for (const controller of [...this.#controllers.keys()]) {
      this.#controllers.delete(controller);
      try {
        controller.close();
      } catch {
        // Already closed.
      }
    }
    const client = this.#client;
    this.#client = undefined;
    if (client) await client.quit();
  }

  #connect(): void {
    const client = this.#open();
    this.#client = client;
    // A failed SUBSCRIBE must not block the verbs waiting on `ready`; the connection
    // subscribes again on its next connect by itself.
    this.#ready = client.subscribe(
      this.#channel,
      (text) => this.#deliver(text),
      () => this.#broadcast({ type: "wake" }),
    ).then(() => {
      this.#isSubscribed = true;
    }, (error) => {
      if (error instanceof RedisAuthError) this.#fail(authStoreError(error, "subscribe"));
    });
  }

  /** Errors every open stream with `error`; later streams wait for the connection. */
  #fail(error: Error): void {
    for (const controller of [...this.#controllers.keys()]) {
      this.#controllers.delete(controller);
      try {
        controller.error(error);
      } catch {
        // Closed already.
      }
    }
  }

  /** Hands a published message to every open stream. */
  #deliver(text: string): void {
    let message: StoreMessage;
    try {
      message = JSON.parse(text);
    } catch {
      return; // Not ours: someone else published on the channel.
    }
    this.#broadcast(message);
  }

  #broadcast(message: StoreMessage): void {
    for (const controller of this.#controllers.keys()) {
      try {
        controller.enqueue(message);
      } catch {
        this.#controllers.delete(controller); // Errored by its reader: nobody listens.
      }
    }
  }
}
