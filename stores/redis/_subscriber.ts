/**
 * The Redis store's pub/sub side: one dedicated connection per store, opened on the first
 * `subscribe`, fanned out to every stream this process asked for. ioredis re-subscribes by
 * itself after a reconnect; what was published while the connection was down is lost, and
 * the processors' polling interval covers that gap. Private to the Redis store. @module
 */

import type { RedisClient } from "./_connection.ts";
import type { StoreMessage } from "../../src/store.ts";

/** Fans the messages of one channel out to streams. */
export class Subscriber {
  #open: () => RedisClient;
  #channel: string;
  #client: RedisClient | undefined;
  #ready: Promise<void> = Promise.resolve();
  /** The open streams, with the origin of the events their reader publishes itself. */
  #controllers = new Map<ReadableStreamDefaultController<StoreMessage>, string | undefined>();
  #isSubscribed = false;

  /** @param open makes the dedicated connection; @param channel the channel to follow */
  constructor(open: () => RedisClient, channel: string) {
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
    if (client) await quit(client);
  }

  #connect(): void {
    const client = this.#open();
    this.#client = client;
    client.on("message", (channel: string, text: string) => {
      if (channel !== this.#channel) return;
      let message: StoreMessage;
      try {
        message = JSON.parse(text);
      } catch {
        return; // Not ours: someone else published on the channel.
      }
      for (const controller of this.#controllers.keys()) {
        try {
          controller.enqueue(message);
        } catch {
          this.#controllers.delete(controller); // Errored by its reader: nobody listens.
        }
      }
    });
    // A failed SUBSCRIBE must not block the verbs waiting on `ready`; ioredis retries it on
    // the next connection by itself.
    this.#ready = client.subscribe(this.#channel).then(() => {
      this.#isSubscribed = true;
    }, () => {});
  }
}

/** Closes a connection politely, or at once when Redis does not answer within a second. */
export async function quit(client: RedisClient): Promise<void> {
  if (client.status === "end") return;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<void>((resolve) => timer = setTimeout(resolve, 1000));
  const ready = client.status === "ready";
  await Promise.race([ready ? client.quit().catch(() => {}) : Promise.resolve(), timeout]);
  clearTimeout(timer);
  client.disconnect();
}
