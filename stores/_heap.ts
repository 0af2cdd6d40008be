/**
 * A binary min-heap ordered by a `less` function: O(log n) push and pop, O(1) peek.
 * Private to the stores; the memory store keeps one per task for ready jobs and one for
 * delayed jobs, and takes the page of a `find` with {@linkcode firstInOrder}. @module
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

/**
 * The first `count` of `items` in `compare` order. A page of a big list (the HTTP API's 50 of
 * 100,000) keeps only `count` items in a heap, O(n log count), instead of sorting them all.
 */
export function firstInOrder<T>(items: T[], compare: (a: T, b: T) => number, count: number): T[] {
  if (count * 8 >= items.length) return items.sort(compare).slice(0, count);
  const worst = new Heap<T>((a, b) => compare(a, b) > 0); // the worst kept item on top
  for (const item of items) {
    if (worst.size < count) worst.push(item);
    else if (compare(item, worst.peek()!) < 0) {
      worst.pop();
      worst.push(item);
    }
  }
  const first: T[] = [];
  while (worst.size > 0) first.push(worst.pop()!);
  return first.reverse();
}
