/**
 * Messages between processes through the `events` collection: writers insert documents with
 * increasing sequence numbers, every store with a subscriber polls for those past its cursor.
 * @module
 */

import type { StoreMessage } from "../../src/store.ts";
import { Channel } from "../_channel.ts";
import type { Collections, EventDocument } from "./_schema.ts";

/** Documents read per poll; a full batch polls again at once. */
const BATCH = 1000;
/** Pruning runs after this many messages from this store. */
const PRUNE_EVERY = 512;
/** Polls a gap in the sequence is waited for before it is skipped. */
const GAP_POLLS = 100;

/*
 * Why polling: change streams need a replica set, and a queue should run on a standalone
 * `mongod` too. A find on `_id > cursor` costs one index probe when nothing is new, and runs
 * only while this store has subscribers.
 *
 * Why gaps are waited for: a writer takes its numbers from the `events` counter, then inserts,
 * so numbers become visible out of order (writer A takes 5, writer B takes 6 and inserts first).
 * A reader that saw 6 and moved its cursor past 5 would miss A's message, so the cursor stops
 * at the first gap and waits up to `GAP_POLLS` polls for it to fill; a number that never shows
 * up (its writer died between the two steps) is then skipped. Messages past the gap are held
 * back meanwhile, so each writer's messages arrive in the order it wrote them.
 *
 * A store's own messages reach its own subscribers directly, right after they are written, and
 * its poll skips their bodies (the `origin` field), as the SQLite store does. The collection
 * keeps the newest `maxRows` messages; pruning counts numbers, so it never reads a clock.
 */
export class EventBus {
  #ready: () => Promise<Collections>;
  #interval: number;
  #maxRows: number;
  #origin = crypto.randomUUID();
  #subscribers = new Channel<StoreMessage>({
    onFirst: () => {
      if (this.#polling === undefined) this.#schedule(0);
    },
    onEmpty: () => this.#stop(),
  });
  #cursor: number | undefined;
  #gapPolls = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #polling: Promise<void> | undefined;
  #written = 0;

  /**
   * @param ready resolves to the connected collections
   * @param interval ms between polls while subscribed
   * @param maxRows messages kept in the collection
   */
  constructor(ready: () => Promise<Collections>, interval: number, maxRows: number) {
    this.#ready = ready;
    this.#interval = interval;
    this.#maxRows = maxRows;
  }

  /** A stream of every message written from now on, until `signal` aborts. */
  subscribe(signal: AbortSignal): ReadableStream<StoreMessage> {
    return this.#subscribers.subscribe(signal);
  }

  /** Writes messages, then hands them to this store's own subscribers. */
  async publish(messages: readonly StoreMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const collections = await this.#ready();
    const counter = await collections.counters.findOneAndUpdate(
      { _id: "events" },
      { $inc: { seq: messages.length } },
      { upsert: true, returnDocument: "after" },
    );
    const last = counter!.seq;
    const first = last - messages.length + 1;
    await collections.events.insertMany(
      messages.map((message, i) => ({
        _id: first + i,
        origin: this.#origin,
        body: JSON.stringify(message),
      })),
      { ordered: false },
    );
    for (const message of messages) this.#subscribers.send(message);
    this.#written += messages.length;
    if (this.#written >= PRUNE_EVERY) {
      this.#written = 0;
      await collections.events.deleteMany({ _id: { $lte: last - this.#maxRows } });
    }
  }

  /** Ends every subscription and the poll, once a poll in flight has finished. */
  async close(): Promise<void> {
    this.#stop();
    this.#subscribers.close();
    await this.#polling;
  }

  #schedule(delay: number): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#polling = this.#poll().finally(() => this.#polling = undefined);
    }, delay);
  }

  #stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#cursor = undefined;
  }

  async #poll(): Promise<void> {
    if (!this.#subscribers.hasSubscribers) return;
    const cursor = this.#cursor;
    let documents: EventDocument[];
    let newest = 0;
    try {
      const { events } = await this.#ready();
      if (cursor === undefined) {
        // A new subscription starts from the newest message: it sees what comes after.
        const last = await events.findOne({}, { sort: { _id: -1 }, projection: { _id: 1 } });
        newest = last?._id ?? 0;
        documents = [];
      } else {
        documents = await events.find({ _id: { $gt: cursor } })
          .sort({ _id: 1 }).limit(BATCH).toArray();
      }
    } catch (error) {
      this.#subscribers.error(error);
      this.#stop();
      return;
    }
    if (!this.#subscribers.hasSubscribers) return;
    if (this.#cursor !== cursor) {
      // Every subscriber left and a new one came while this poll was out: start over.
      return this.#schedule(0);
    }
    if (cursor === undefined) this.#cursor = newest;
    for (const document of documents) {
      if (document._id !== this.#cursor! + 1) {
        if (++this.#gapPolls < GAP_POLLS) break;
      }
      this.#gapPolls = 0;
      this.#cursor = document._id;
      if (document.origin === this.#origin) continue;
      this.#subscribers.send(JSON.parse(document.body) as StoreMessage);
    }
    this.#schedule(documents.length === BATCH ? 0 : this.#interval);
  }
}
