/**
 * A binary min-heap ordered by a `less` function: O(log n) push and pop, O(1) peek.
 * Private to the stores; the memory store keeps its jobs in order with {@linkcode AppendHeap}s
 * and takes the page of a `find` with {@linkcode firstInOrder}. @module
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
 * A min-heap for items that nearly always arrive in order, as the memory store's jobs do (each
 * created, readied or finished after the one before): an item not before the last one listed
 * is appended to a sorted list, O(1) to push and to pop; any other goes to a {@linkcode Heap}
 * beside it, and the first item is the lesser of the list's head and the heap's top. At a
 * backlog of 100,000 jobs this takes the claim's heap work (17 levels of comparisons per pop)
 * out of the common case.
 */
export class AppendHeap<T> {
  #list: T[] = [];
  #head = 0;
  #late: Heap<T>;
  #less: (a: T, b: T) => boolean;

  /** @param less whether `a` must come out before `b` */
  constructor(less: (a: T, b: T) => boolean) {
    this.#less = less;
    this.#late = new Heap(less);
  }

  /** How many items are held. */
  get size(): number {
    return this.#list.length - this.#head + this.#late.size;
  }

  /** Adds an item. */
  push(item: T): void {
    const list = this.#list;
    if (this.#head === list.length || !this.#less(item, list[list.length - 1])) list.push(item);
    else this.#late.push(item);
  }

  /** The first item, without removing it. */
  peek(): T | undefined {
    const late = this.#late.peek();
    if (this.#head === this.#list.length) return late;
    const first = this.#list[this.#head];
    return late !== undefined && this.#less(late, first) ? late : first;
  }

  /** Removes and returns the first item. */
  pop(): T | undefined {
    const late = this.#late.peek();
    if (this.#head === this.#list.length) return this.#late.pop();
    const first = this.#list[this.#head];
    if (late !== undefined && this.#less(late, first)) return this.#late.pop();
    this.#list[this.#head++] = undefined as T; // let the item go
    if (this.#head === this.#list.length) {
      this.#list = [];
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#list.length) {
      this.#list = this.#list.slice(this.#head);
      this.#head = 0;
    }
    return first;
  }

  /** Removes every item. */
  clear(): void {
    this.#list = [];
    this.#head = 0;
    this.#late.clear();
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
