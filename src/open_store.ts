/**
 * Stores from URLs, for the CLI, the worker entry points and configuration by environment:
 * `openStore("sqlite:kinetik.db")`. A store's module (and its driver) is imported only when
 * its scheme is asked for, so a SQLite user never loads the Redis or MongoDB client. @module
 */

import process from "node:process";
import type { Store } from "./store.ts";

/**
 * How the stores behind a network driver are loaded: `openStoreWith()` takes them, so the
 * `kinetik` binary (`cli.ts`) can pass imports a bundler follows.
 */
export interface DriverStores {
  /** Loads `stores/redis.ts`. */
  redis(): Promise<{ RedisStore: StoreFromUrl }>;
  /** Loads `stores/mongo.ts`. */
  mongo(): Promise<{ MongoStore: StoreFromUrl }>;
  /** Loads `stores/postgres.ts`. */
  postgres(): Promise<{ PostgresStore: StoreFromUrl }>;
}

/** A store class that opens from a URL (`src/` names no store module, not even as a type). */
export type StoreFromUrl = new (options: { url: string }) => Store;

/** Imports `specifier` (relative to this file) at run time; see {@linkcode LAZY_DRIVER_STORES}. */
function importLater<T>(specifier: string): Promise<T> {
  // `deno publish` warns that it cannot analyze this import: a relative specifier needs no
  // import map, so it resolves at run time from JSR too.
  return import(specifier);
}

/**
 * The network stores, imported at run time only. Deno adds every `import()` of a string
 * literal to a program's module graph and fetches what it imports before the program starts:
 * with literals here, every program that imports mod.ts (the memory-store demo too) would
 * download the MongoDB, PostgreSQL and Redis drivers. A specifier in a variable is imported only when
 * the line runs. Bundlers cannot follow it either, so `cli.ts` passes literal imports.
 */
export const LAZY_DRIVER_STORES: DriverStores = {
  redis: () => importLater("../stores/redis.ts"),
  mongo: () => importLater("../stores/mongo.ts"),
  postgres: () => importLater("../stores/postgres.ts"),
};

/** The URL forms {@linkcode openStore} accepts, as error messages show them. */
export const STORE_URL_FORMS: readonly string[] = [
  "memory:",
  "sqlite:<path>",
  "sqlite:///<absolute path>",
  "redis://…",
  "rediss://…",
  "mongodb://…",
  "mongodb+srv://…",
  "postgres://…",
  "postgresql://…",
];

/** The store URL used when none is given. */
export const DEFAULT_STORE_URL = "sqlite:kinetik.db";

function invalid(url: unknown, why = "it must have one of the forms"): TypeError {
  return new TypeError(
    `Cannot open a store as ${why} ${STORE_URL_FORMS.join(", ")}: current value is ${
      JSON.stringify(url) ?? String(url)
    }`,
  );
}

/**
 * The file path of a `sqlite:` URL: `sqlite:path` as written (relative to the working
 * directory, or absolute), `sqlite:///abs/path` and `sqlite://localhost/abs/path` as a
 * percent-decoded absolute path.
 */
function sqlitePath(url: string): string {
  const rest = url.slice("sqlite:".length);
  if (!rest.startsWith("//")) {
    if (rest === "") throw invalid(url, "a sqlite: URL needs a file path, as in");
    return rest;
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalid(url, "it is not a well-formed URL; use one of");
  }
  if (parsed.hostname !== "" && parsed.hostname !== "localhost") {
    throw invalid(url, "a sqlite: URL names a local file, not a host; use one of");
  }
  const path = decodeURIComponent(parsed.pathname);
  if (path === "" || path === "/") throw invalid(url, "a sqlite: URL needs a file path, as in");
  return path;
}

/**
 * The file a `sqlite:` URL names (`:memory:` for `sqlite::memory:`), or `undefined` for
 * another scheme.
 *
 * @throws {TypeError} when the `sqlite:` URL is malformed
 */
export function sqliteFilePath(url: string): string | undefined {
  return /^sqlite:/i.test(url) ? sqlitePath(url) : undefined;
}

/** Checks a network URL's shape before its driver is loaded. */
function networkUrl(url: string): string {
  // MongoDB's seed lists (`host1:27017,host2:27017`) are not WHATWG URLs, so only the scheme
  // and a non-empty rest are checked here; the driver reports anything finer.
  if (/^mongodb(\+srv)?:\/\/[^/\s]/.test(url)) return url;
  try {
    if (new URL(url).hostname !== "") return url;
  } catch { /* reported below */ }
  throw invalid(url, "it is not a well-formed URL with a host; use one of");
}

/**
 * Opens the store a URL names.
 *
 * @param url `memory:`, `sqlite:<path>` (`sqlite:kinetik.db`, `sqlite:/var/lib/k.db`,
 * `sqlite:///var/lib/k.db`), `redis://…`, `rediss://…`, `mongodb://…`, `mongodb+srv://…`,
 * `postgres://…` or `postgresql://…`
 * @returns the open store; the caller closes it
 * @throws {TypeError} when the scheme is unknown or the URL is malformed
 * @throws {StoreError} when the store cannot be opened
 *
 * @example Opening a SQLite file
 * ```ts
 * import { openStore } from "@kinetik/kinetik";
 *
 * const store = await openStore("sqlite::memory:");
 * await store.close();
 * ```
 */
export function openStore(url: string): Promise<Store> {
  return openStoreWith(url, LAZY_DRIVER_STORES);
}

/**
 * {@linkcode openStore}, loading the network stores through `stores`.
 *
 * @param url as for {@linkcode openStore}
 * @param stores how `redis://` and `mongodb://` stores are loaded
 * @returns the open store; the caller closes it
 */
export async function openStoreWith(url: string, stores: DriverStores): Promise<Store> {
  if (typeof url !== "string") throw invalid(url);
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1].toLowerCase();
  switch (scheme) {
    case "memory": {
      if (url.length > "memory:".length && url.slice("memory:".length) !== "//") {
        throw invalid(url, "a memory: URL takes no path; use one of");
      }
      const { MemoryStore } = await import("../stores/memory.ts");
      return new MemoryStore();
    }
    case "sqlite": {
      const path = sqlitePath(url);
      const { SqliteStore } = await import("../stores/sqlite.ts");
      return new SqliteStore({ path });
    }
    case "redis":
    case "rediss": {
      const checked = networkUrl(url);
      const { RedisStore } = await stores.redis();
      return new RedisStore({ url: checked });
    }
    case "mongodb":
    case "mongodb+srv": {
      const checked = networkUrl(url);
      const { MongoStore } = await stores.mongo();
      return new MongoStore({ url: checked });
    }
    case "postgres":
    case "postgresql": {
      const checked = networkUrl(url);
      const { PostgresStore } = await stores.postgres();
      return new PostgresStore({ url: checked });
    }
    default:
      throw invalid(url);
  }
}

/**
 * The store URL from the `KINETIK_STORE` environment variable, else `"sqlite:kinetik.db"`.
 *
 * @example Falling back to the default
 * ```ts
 * import { defaultStoreUrl } from "@kinetik/kinetik";
 *
 * const url = defaultStoreUrl(); // "sqlite:kinetik.db" unless KINETIK_STORE is set
 * ```
 */
export function defaultStoreUrl(): string {
  let value: string | undefined;
  try {
    value = process.env.KINETIK_STORE;
  } catch {
    // Deno without --allow-env: behave as if the variable were unset.
  }
  return value ? value : DEFAULT_STORE_URL;
}
