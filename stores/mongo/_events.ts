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
 * Where a subscription starts. It must see every message published after `subscribe()`
 * returns, by any process, yet that call cannot ask the server anything. So it notes the
 * moment it was made (a monotonic local clock), and the server's clock decides the rest: a
 * writer takes its sequence numbers and a server time stamp in one counter update
 * (`$currentDate`), so numbers and stamps rise together, and each message carries its stamp.
 * The first poll touches the same counter document to read the server's time `S` (so the
 * same clock, on a sharded cluster the counter's shard), and takes `from = S - (time since
 * subscribe() was called)`. `S` was read after the call, so `from` is at most the server's
 * time at the call: a message published after it is stamped `from` or later and delivered;
 * the cursor starts below the newest message stamped before `from`. A message published just
 * before the call (by less than the reply time of that first touch) may get through too: an
 * extra message, never a missing one. This assumes the server's clock does not step back
 * meanwhile, as any ordering by time does. A subscriber that comes while others listen shares
 * their cursor, which passes a message only by delivering it to everyone subscribed then.
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
      this.#since = performance.now();
      if (this.#polling === undefined) this.#schedule(0);
    },
    onEmpty: () => this.#stop(),
  });
  /** `performance.now()` when the first of the current subscribers came: their starting point. */
  #since = 0;
  /** Counts the times polling stopped, so a poll that was out meanwhile knows it is stale. */
  #period = 0;
  /** Server time (ms) from which messages are delivered; set by the first poll. */
  #from = 0;
  /** The last sequence number passed; `undefined` until the first poll has placed it. */
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

  /**
   * A stream of every message written from the moment of this call on, by any process, until
   * `signal` aborts (see above for how the starting point is kept without a round trip).
   */
  subscribe(signal: AbortSignal): ReadableStream<StoreMessage> {
    return this.#subscribers.subscribe(signal);
  }

  /** Writes messages, then hands them to this store's own subscribers. */
  async publish(messages: readonly StoreMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const collections = await this.#ready();
    const counter = await collections.counters.findOneAndUpdate(
      { _id: "events" },
      { $inc: { seq: messages.length }, $currentDate: { time: true } },
      { upsert: true, returnDocument: "after" },
    );
    const last = counter!.seq;
    const first = last - messages.length + 1;
    const time = counter!.time!.getTime();
    await collections.events.insertMany(
      messages.map((message, i) => ({
        _id: first + i,
        origin: this.#origin,
        time,
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
    this.#period++;
  }

  /**
   * Places the cursor of a new subscription: `from` as explained above, and the cursor on
   * the newest message stamped before it (the `_id` index walked backwards, so it reads only
   * the messages stamped since).
   */
  async #start(collections: Collections, since: number): Promise<{ from: number; cursor: number }> {
    const counter = await collections.counters.findOneAndUpdate(
      { _id: "events" },
      { $currentDate: { time: true } },
      { upsert: true, returnDocument: "after", projection: { time: 1 } },
    );
    const from = Math.floor(counter!.time!.getTime() - (performance.now() - since));
    const before = await collections.events.findOne(
      { time: { $lt: from } },
      { sort: { _id: -1 }, projection: { _id: 1 } },
    );
    return { from, cursor: before?._id ?? 0 };
  }

  async #poll(): Promise<void> {
    if (!this.#subscribers.hasSubscribers) return;
    const period = this.#period;
    let documents: EventDocument[];
    try {
      const collections = await this.#ready();
      if (period !== this.#period) return this.#restart();
      if (this.#cursor === undefined) {
        const start = await this.#start(collections, this.#since);
        if (period !== this.#period) return this.#restart();
        this.#from = start.from;
        this.#cursor = start.cursor;
        this.#gapPolls = 0;
      }
      documents = await collections.events.find({ _id: { $gt: this.#cursor } })
        .sort({ _id: 1 }).limit(BATCH).toArray();
    } catch (error) {
      this.#subscribers.error(error);
      this.#stop();
      return;
    }
    if (period !== this.#period) return this.#restart();
    for (const document of documents) {
      if (document._id !== this.#cursor! + 1) {
        if (++this.#gapPolls < GAP_POLLS) break;
      }
      this.#gapPolls = 0;
      this.#cursor = document._id;
      // A gap that filled late with a number taken before `from`: older than the subscription.
      if (document.origin === this.#origin || document.time < this.#from) continue;
      this.#subscribers.send(JSON.parse(document.body) as StoreMessage);
    }
    this.#schedule(documents.length === BATCH ? 0 : this.#interval);
  }

  /**
   * Every subscriber left while a poll was out (and maybe new ones came): start over from
   * the newcomers' starting point, or stay idle.
   */
  #restart(): void {
    if (this.#subscribers.hasSubscribers) this.#schedule(0);
  }
}
