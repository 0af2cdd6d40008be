/**
 * The Redis client's pipeline: commands written as they are issued (those of one tick in a
 * single write) and the replies matched to them in order, as RESP guarantees on one
 * connection. Private to the Redis store. @module
 */

import type { Reply } from "./_resp.ts";

/** A command sent, waiting for its reply. */
export interface InFlight {
  resolve(reply: Reply): void;
  reject(error: Error): void;
}

/** The commands of one connection between their write and their reply. */
export class Pipeline {
  #inFlight: InFlight[] = [];
  #head = 0;
  #outbox: string[] = [];
  #write: (text: string) => void;
  #onWait: () => void;

  /**
   * @param write sends text on the current socket
   * @param onWait called when a command is sent while none was in flight
   */
  constructor(write: (text: string) => void, onWait: () => void) {
    this.#write = write;
    this.#onWait = onWait;
  }

  /** Whether commands wait for replies. */
  get hasInFlight(): boolean {
    return this.#head < this.#inFlight.length;
  }

  /** Queues `text` for this tick's write and `pending` for its reply. */
  send(text: string, pending: InFlight): void {
    if (this.#head === this.#inFlight.length) this.#onWait();
    this.#inFlight.push(pending);
    if (this.#outbox.push(text) === 1) queueMicrotask(this.#flush);
  }

  /**
   * The command the next reply answers, taken off the pipeline.
   *
   * @throws {SyntaxError} when no command waits for a reply
   */
  next(): InFlight {
    if (this.#head >= this.#inFlight.length) {
      throw new SyntaxError("Cannot match a Redis reply as no command is waiting for one");
    }
    const pending = this.#inFlight[this.#head];
    this.#inFlight[this.#head++] = undefined!;
    if (this.#head === this.#inFlight.length) {
      this.#inFlight.length = 0;
      this.#head = 0;
    }
    return pending;
  }

  /** Drops what is unwritten and rejects every command waiting for a reply. */
  rejectAll(error: Error): void {
    const inFlight = this.#inFlight;
    const head = this.#head;
    this.#inFlight = [];
    this.#head = 0;
    this.#outbox.length = 0;
    for (let i = head; i < inFlight.length; i++) inFlight[i].reject(error);
  }

  /** Writes the commands of this tick at once. */
  #flush = (): void => {
    const outbox = this.#outbox;
    if (outbox.length === 0) return;
    const text = outbox.length === 1 ? outbox[0] : outbox.join("");
    outbox.length = 0;
    this.#write(text);
  };
}
