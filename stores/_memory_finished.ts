/**
 * The memory store's index of finished jobs by status, oldest `finished` first, so that a
 * retention sweep or `maxFinished` removes the oldest jobs without scanning the others.
 * Private to `stores/memory.ts`. @module
 */

import type { JobStatus } from "../src/job.ts";
import { Heap } from "./_heap.ts";
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
 * Jobs finish in time order almost always (one process, one clock), so each status keeps an
 * append-only list, which costs O(1) per finished job; a job that finishes earlier than the
 * last one listed (times given out of order) goes to a small heap beside it instead. The
 * oldest job is the older of the list's head and the heap's top. Slots are never removed when
 * a job is requeued or removed; a stale one is dropped when it surfaces.
 */
class StatusLine {
  #list: Slot[] = [];
  #head = 0;
  #late = new Heap<Slot>(finishesBefore);

  add(slot: Slot): void {
    const last = this.#head < this.#list.length ? this.#list.at(-1) : undefined;
    if (!last || !finishesBefore(slot, last)) this.#list.push(slot);
    else this.#late.push(slot);
  }

  /** The oldest live slot, dropping stale ones on the way. */
  peek(): Slot | undefined {
    const list = this.#list;
    while (this.#head < list.length && isStale(list[this.#head])) this.#head++;
    if (this.#head > 1024 && this.#head * 2 > list.length) {
      this.#list = list.slice(this.#head);
      this.#head = 0;
    }
    let late = this.#late.peek();
    while (late && isStale(late)) {
      this.#late.pop();
      late = this.#late.peek();
    }
    const first = this.#list[this.#head];
    if (!first) return late;
    return late && finishesBefore(late, first) ? late : first;
  }

  /** Removes the slot `peek()` returned. */
  pop(slot: Slot): void {
    if (this.#late.peek() === slot) this.#late.pop();
    else if (this.#list[this.#head] === slot) this.#head++;
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
    best.line.pop(best.slot);
    return best.slot.entry;
  }
}
