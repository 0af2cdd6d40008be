/**
 * The options of a MongoDB store (re-exported by `stores/mongo.ts`). @module
 */

/**
 * A `MongoClient` of the official `mongodb` driver, as `MongoStoreOptions.client` takes it.
 * Spelled out as a few of its members rather than as `MongoClient`, so the published docs do
 * not pull in the driver's own types; the store checks `instanceof MongoClient` when it opens
 * (a `TypeError` for anything else), so the client must come from the same `mongodb` package.
 */
export interface MongoClientLike {
  /** The client's settings; `dbName` is the database its URL names. */
  readonly options: { readonly dbName: string };
  /** Connects (a no-op once connected). */
  connect(): Promise<unknown>;
  /** A database by name. */
  db(name: string): unknown;
  /** Closes the client. */
  close(): Promise<void>;
}

/** How to reach MongoDB and which collections to use there. */
export interface MongoStoreOptions {
  /** `mongodb://[user:password@]host[:port][,host2…][/database][?options]` or `mongodb+srv://…`. */
  url?: string;
  /** A connected or unconnected client to use instead of `url`; `close()` leaves it open. */
  client?: MongoClientLike;
  /**
   * The database; by default the one the URL names, else `"kinetik"`.
   * @default {"kinetik"}
   */
  database?: string;
  /**
   * Starts every collection name: stores with different prefixes never see each other's jobs.
   * @default {"kinetik_"}
   */
  prefix?: string;
  /**
   * How long (ms) a verb waits for a reachable server before it rejects, unless the URL sets
   * `serverSelectionTimeoutMS`.
   * @default {5000}
   */
  serverSelectionTimeoutMS?: number;
  /**
   * How often (ms) a store with subscribers reads new events written by other processes.
   * @default {15}
   */
  pollInterval?: number;
  /**
   * How many event documents are kept at most.
   * @default {10000}
   */
  eventMaxRows?: number;
}
