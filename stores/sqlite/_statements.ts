/**
 * Prepared statements, cached by their SQL text: preparing is the costly part of a small
 * statement, and the same few statements run for every job. @module
 */

import type { DatabaseSync, StatementSync } from "node:sqlite";

/** Claim and find build SQL by shape, so the cache is bounded; the oldest entry goes first. */
const LIMIT = 256;

/** `setReturnArrays`, which Deno and Bun have and Deno's types do not declare yet. */
type ArrayRows = StatementSync & { setReturnArrays?(enabled: boolean): void };

/** A cache of prepared statements on one connection. */
export class Statements {
  #db: DatabaseSync;
  #cache = new Map<string, StatementSync>();
  #arrays = new Map<string, StatementSync>();

  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  /** The prepared statement for `sql`, prepared on first use. */
  get(sql: string): StatementSync {
    let statement = this.#cache.get(sql);
    if (statement === undefined) {
      statement = this.#db.prepare(sql);
      if (this.#cache.size >= LIMIT) this.#cache.delete(this.#cache.keys().next().value!);
      this.#cache.set(sql, statement);
    }
    return statement;
  }

  /**
   * The prepared statement for `sql` that returns rows as arrays, where the runtime can (read
   * them with `toRow`); on one that cannot, it returns objects as `get` does.
   */
  rows(sql: string): StatementSync {
    let statement = this.#arrays.get(sql);
    if (statement === undefined) {
      statement = this.#db.prepare(sql);
      (statement as ArrayRows).setReturnArrays?.(true);
      if (this.#arrays.size >= LIMIT) this.#arrays.delete(this.#arrays.keys().next().value!);
      this.#arrays.set(sql, statement);
    }
    return statement;
  }

  /** Runs `fn` in a transaction: the caller's when one is open, else a new one. */
  atomic<T>(fn: () => T): T {
    return this.#db.isTransaction ? fn() : this.transaction(fn);
  }

  /** Runs `fn` in a `BEGIN IMMEDIATE` transaction: the write lock is taken up front. */
  transaction<T>(fn: () => T): T {
    this.#db.exec("BEGIN IMMEDIATE");
    try {
      const result = fn();
      this.#db.exec("COMMIT");
      return result;
    } catch (error) {
      if (this.#db.isTransaction) this.#db.exec("ROLLBACK");
      throw error;
    }
  }
}
