/**
 * The store a `kinetik` command works on: how its messages name it, and the check that keeps
 * a command from creating a SQLite file where there is none. @module
 */

import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { sqliteFilePath } from "../open_store.ts";

/** A store URL as messages show it, with any password masked: `redis://:***@host`. */
export function storeLabel(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/@\s]*?:)[^/@\s]*@/i, "$1***@");
}

/**
 * Refuses a `sqlite:` URL whose file does not exist. Opening it would create an empty queue,
 * and `kinetik jobs` would report on that one instead of the queue the user meant (run in
 * the wrong directory, or with `KINETIK_STORE` unset); only `add` creates a store.
 *
 * @throws {TypeError} when the `sqlite:` URL is malformed
 * @throws {Error} naming the store and the missing file
 */
export function assertStoreExists(url: string): void {
  const path = sqliteFilePath(url);
  if (path === undefined || path === ":memory:" || existsSync(path)) return;
  throw new Error(
    `no store at ${storeLabel(url)}: ${resolve(path)} does not exist ` +
      `(kinetik add creates it; --store URL or KINETIK_STORE opens another)`,
  );
}
