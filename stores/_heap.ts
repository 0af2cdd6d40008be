/**
 * A binary min-heap ordered by a `less` function: O(log n) push and pop, O(1) peek.
 * Private to the stores; the memory store keeps one per task for ready jobs and one for
 * delayed jobs. @module
 */

/** A binary min-heap. */
export class Heap<T> {
  #items: T[] = [];
  #less: (a: T, b: T) => boolean;

  /** @param less whether `a` must come out before `b` */
  constructor(less: (a: T, b: T) => boolean) {
    this.#less = less;
  }

  /** How many items are held. */
  get size(): number {
    return this.#items.length;
  }

  /** The first item, without removing it. */
  peek(): T | undefined {
    return this.#items[0];
  }

  /** Adds an item. */
  push(item: T): void {
    const items = this.#items;
    const less = this.#less;
    let index = items.length;
    items.push(item);
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (!less(item, items[parent])) break;
      items[index] = items[parent];
      index = parent;
    }
    items[index] = item;
  }

  /** Removes and returns the first item. */
  pop(): T | undefined {
    const items = this.#items;
    const top = items[0];
    const last = items.pop();
    if (items.length === 0 || last === undefined) return top;
    const less = this.#less;
    const length = items.length;
    let index = 0;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= length) break;
      const right = left + 1;
      const child = right < length && less(items[right], items[left]) ? right : left;
      if (!less(items[child], last)) break;
      items[index] = items[child];
      index = child;
    }
    items[index] = last;
    return top;
  }

  /** Removes every item. */
  clear(): void {
    this.#items = [];
  }
}
