/**
 * The memory store's per-task index: ready and delayed heaps, and counts by status.
 * Private to `stores/memory.ts`. @module
 */

import { type Job, type JobStatus, type LogLine, zeroStatusCounts } from "../src/job.ts";
import { AppendHeap } from "./_heap.ts";

/** A stored job with what the store keeps beside it. */
export interface Entry {
  /** The live record; never handed out, only copies of it. */
  job: Job;
  /** Creation order. */
  seq: number;
  /** When the job became ready: `runAt` for delayed jobs, else `created`. */
  readyAt: number;
  /** Bumped on every status change; heap slots holding an older stamp are stale. */
  stamp: number;
  /** The current claim's token while processing. */
  token: string | undefined;
  /** Whether the job was saved with its own `maxAttempts`, which claims then keep. */
  hasOwnMaxAttempts: boolean;
  logs: LogLine[];
}

interface Slot {
  entry: Entry;
  stamp: number;
  priority: number;
  readyAt: number;
  seq: number;
}

function readsBefore(a: Slot, b: Slot): boolean {
  if (a.priority !== b.priority) return a.priority < b.priority;
  if (a.readyAt !== b.readyAt) return a.readyAt < b.readyAt;
  return a.seq < b.seq;
}

function dueBefore(a: Slot, b: Slot): boolean {
  return a.readyAt !== b.readyAt ? a.readyAt < b.readyAt : a.seq < b.seq;
}

function isWaiting(slot: Slot): boolean {
  const status = slot.entry.job.status;
  return slot.stamp === slot.entry.stamp && (status === "queued" || status === "delayed");
}

/** One task's waiting jobs and its counts by status. */
export class TaskIndex {
  /** Jobs by status, kept by the store on every status change. */
  readonly counts: Record<JobStatus, number> = zeroStatusCounts();
  #ready = new AppendHeap<Slot>(readsBefore);
  #delayed = new AppendHeap<Slot>(dueBefore);

  /** Files a waiting entry under ready or delayed, by its status. */
  push(entry: Entry): void {
    const slot = {
      entry,
      stamp: entry.stamp,
      priority: entry.job.priority,
      readyAt: entry.readyAt,
      seq: entry.seq,
    };
    if (entry.job.status === "delayed") this.#delayed.push(slot);
    else this.#ready.push(slot);
  }

  /** Moves delayed jobs due at `now` to the ready heap; returns this index. */
  promote(now: number): this {
    for (;;) {
      const slot = this.#delayed.peek();
      if (!slot || slot.readyAt > now) return this;
      this.#delayed.pop();
      if (isWaiting(slot)) this.#ready.push(slot);
    }
  }

  /** The first ready slot, dropping stale ones on the way. */
  readyTop(): Slot | undefined {
    for (;;) {
      const slot = this.#ready.peek();
      if (!slot || isWaiting(slot)) return slot;
      this.#ready.pop();
    }
  }

  /** Whether this index's first ready job goes before `other`'s (both must have one). */
  readsBefore(other: TaskIndex): boolean {
    return readsBefore(this.#ready.peek()!, other.#ready.peek()!);
  }

  /** Removes and returns the first ready entry. */
  popReady(): Entry | undefined {
    return this.readyTop() && this.#ready.pop()!.entry;
  }

  /** The earliest `runAt` of a job still delayed. */
  nextRunAt(): number | undefined {
    for (;;) {
      const slot = this.#delayed.peek();
      if (!slot || isWaiting(slot)) return slot?.readyAt;
      this.#delayed.pop();
    }
  }
}
