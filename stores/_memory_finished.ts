/**
 * The memory store's index of finished jobs by status, oldest `finished` first, so that a
 * retention sweep or `maxFinished` removes the oldest jobs without scanning the others.
 * Private to `stores/memory.ts`. @module
 */

import type { JobStatus } from "../src/job.ts";
import { AppendHeap } from "./_heap.ts";
import type { Entry } from "./_memory_index.ts";

interface Slot {
  entry: Entry;
  /** The entry's stamp when it finished: a later status change makes the slot stale. */
  stamp: number;
  finished: number;
  /** Finish order, for ties. */
  order: number;
}

function finishesBefore(a: Slot, b: Slot): boolean {
  return a.finished !== b.finished ? a.finished < b.finished : a.order < b.order;
}

/*
 * Jobs finish in time order almost always (one process, one clock), so each status keeps its
 * slots in an AppendHeap: O(1) per finished job, O(log n) only for one that finishes earlier
 * than the last one listed (times given out of order). Slots are never removed when a job is
 * requeued or removed; a stale one is dropped when it surfaces.
 */
class StatusLine {
  #slots = new AppendHeap<Slot>(finishesBefore);

  add(slot: Slot): void {
    this.#slots.push(slot);
  }

  /** The oldest live slot, dropping stale ones on the way. */
  peek(): Slot | undefined {
    for (;;) {
      const slot = this.#slots.peek();
      if (!slot || !isStale(slot)) return slot;
      this.#slots.pop();
    }
  }

  /** Removes the slot `peek()` returned. */
  pop(): void {
    this.#slots.pop();
  }
}

function isStale(slot: Slot): boolean {
  return slot.stamp !== slot.entry.stamp;
}

/** Finished entries by status, oldest first. */
export class FinishedIndex {
  #lines = new Map<JobStatus, StatusLine>();
  #order = 0;

  /** Files an entry that just reached a final status (its stamp and `finished` set). */
  add(entry: Entry): void {
    let line = this.#lines.get(entry.job.status);
    if (!line) this.#lines.set(entry.job.status, line = new StatusLine());
    line.add({
      entry,
      stamp: entry.stamp,
      finished: entry.job.finished ?? 0,
      order: ++this.#order,
    });
  }

  /**
   * Removes and returns the entry that finished first among `statuses`, or `undefined` when
   * there is none or (with `before`) it finished at `before` or later.
   */
  takeOldest(statuses: readonly JobStatus[], before = Infinity): Entry | undefined {
    let best: { line: StatusLine; slot: Slot } | undefined;
    for (const status of statuses) {
      const line = this.#lines.get(status);
      const slot = line?.peek();
      if (slot && (!best || finishesBefore(slot, best.slot))) best = { line: line!, slot };
    }
    if (!best || !(best.slot.finished < before)) return undefined;
    best.line.pop();
    return best.slot.entry;
  }
}
