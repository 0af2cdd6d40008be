/**
 * The PostgreSQL store's client: its own `postgres` pool opened from a URL, or the caller's,
 * and the one place that runs SQL and turns what PostgreSQL raised into a
 * {@linkcode StoreError}. @module
 */

import postgres from "postgres";
import { StoreError } from "../../src/store.ts";

/** A `postgres` client (the package's `Sql`). */
export type Sql = postgres.Sql;
/** A transaction of a `postgres` client, as `sql.begin(async (tx) => …)` hands it out. */
export type TransactionSql = postgres.TransactionSql;
/** A result row. */
export type Row = Record<string, unknown>;
/** What runs a statement: the pool, or a caller's transaction. */
export type Runner = Pick<Sql, "unsafe">;

/** The client a store runs on. */
export class Connection {
  /** The pool. */
  readonly sql: Sql;
  /** Whether the store opened the pool (and so ends it on close). */
  readonly isOwn: boolean;
  #prepare: boolean;

  /**
   * @param source a URL to open a pool of `max` connections for, or a client to share
   */
  constructor(source: { url: string; max: number } | { sql: Sql }) {
    if ("sql" in source) {
      this.sql = source.sql;
      this.isOwn = false;
      // A client made with `prepare: false` (behind PgBouncer in transaction mode) keeps it.
      this.#prepare = source.sql.options?.prepare !== false;
    } else {
      this.sql = postgres(source.url, {
        max: source.max,
        // The schema's "IF NOT EXISTS" notices are not news to a queue's user.
        onnotice: () => {},
      });
      this.isOwn = true;
      this.#prepare = true;
    }
  }

  /**
   * Runs one statement with `params` ($1, $2, …) on the pool or on `tx`, as a named prepared
   * statement (parsed and planned once per connection) unless the client forbids it.
   *
   * @throws {StoreError} naming `what` when PostgreSQL or the connection fails
   */
  async query(what: string, text: string, params: unknown[] = [], tx?: Runner): Promise<Row[]> {
    try {
      return await (tx ?? this.sql).unsafe(text, params as postgres.ParameterOrJSON<never>[], {
        prepare: this.#prepare,
      });
    } catch (error) {
      throw storeError(what, error);
    }
  }

  /**
   * Runs `fn` in a transaction on one connection of the pool: committed when it resolves,
   * rolled back when it rejects. Statements inside go through {@linkcode query} with `tx`.
   *
   * @throws {StoreError} naming `what` when PostgreSQL or the connection fails
   */
  async transaction<T>(what: string, fn: (tx: Runner) => Promise<T>): Promise<T> {
    try {
      return await this.sql.begin((tx) => fn(tx)) as T;
    } catch (error) {
      throw storeError(what, error);
    }
  }

  /**
   * Runs one query and hands its rows over `batch` at a time, fetching the next batch only
   * when the caller asks for it (a portal on one connection); stopping early closes it.
   *
   * @throws {StoreError} naming `what` when PostgreSQL or the connection fails
   */
  async *cursor(
    what: string,
    text: string,
    params: unknown[],
    batch: number,
  ): AsyncGenerator<Row[]> {
    const query = this.sql.unsafe(text, params as postgres.ParameterOrJSON<never>[], {
      prepare: this.#prepare,
    });
    try {
      for await (const rows of query.cursor(batch)) yield rows;
    } catch (error) {
      throw storeError(what, error);
    }
  }

  /** Ends the pool when the store opened it; a client passed in stays open. */
  async end(): Promise<void> {
    if (this.isOwn) await this.sql.end({ timeout: 5 });
  }
}

/**
 * The pool to open (`url`, `max`) or the client to share (`sql`), checked.
 *
 * @throws {TypeError} when neither a postgres:// URL nor a `postgres` client is given
 * @throws {RangeError} when `max` is not a positive integer
 */
export function connectionSource(
  url: string | undefined,
  sql: Sql | undefined,
  max: number,
): { url: string; max: number } | { sql: Sql } {
  if (sql === undefined && (typeof url !== "string" || !/^postgres(ql)?:\/\//.test(url))) {
    throw new TypeError(
      `Cannot open a PostgreSQL store as it needs a postgres:// or postgresql:// URL or a postgres client: current value is ${
        JSON.stringify(url) ?? String(url)
      }`,
    );
  }
  if (sql !== undefined && typeof sql?.unsafe !== "function") {
    throw new TypeError(
      `Cannot open a PostgreSQL store as sql must be a client of the postgres package: current value is ${typeof sql}`,
    );
  }
  if (!Number.isInteger(max) || max < 1) {
    throw new RangeError(
      `Cannot open a PostgreSQL store as max must be a positive integer: current value is ${max}`,
    );
  }
  return sql ? { sql } : { url: url!, max };
}

/** A failure of `what`, as a {@linkcode StoreError} keeping PostgreSQL's error as the cause. */
export function storeError(what: string, error: unknown): StoreError {
  if (error instanceof StoreError) return error;
  const reason = error instanceof Error ? error.message : String(error);
  return new StoreError("postgres", `Cannot ${what} as PostgreSQL failed: ${reason}`, {
    cause: error,
  });
}

/** The SQLSTATE of a PostgreSQL error, if it is one. */
export function sqlState(error: unknown): string | undefined {
  const cause = error instanceof StoreError ? error.cause : error;
  const code = (cause as { code?: unknown } | undefined)?.code;
  return typeof code === "string" ? code : undefined;
}

/** Whether `value` looks like a transaction of a `postgres` client. */
export function isTransaction(value: unknown): value is TransactionSql {
  const tx = value as { unsafe?: unknown; savepoint?: unknown } | null;
  return typeof value === "function" && typeof tx?.unsafe === "function" &&
    typeof tx?.savepoint === "function";
}
