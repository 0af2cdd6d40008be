/**
 * `bench/results/latest.json`: the rows of the latest run of each store, Redis and SQLite, in
 * one array. A run replaces its own store's rows and keeps the others'. @module
 */

import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

/** Writes `rows` as the rows of `store`, keeping the rows of other stores already in `path`. */
export function saveRows(
  path: string,
  store: string,
  rows: readonly object[],
): void {
  const earlier = existsSync(path)
    ? (JSON.parse(readFileSync(path, "utf8")) as { store?: string }[])
    : [];
  // Rows written before the file held more than one store are Redis rows.
  const kept = earlier.map((row) => ({ store: "redis", ...row }))
    .filter((row) => row.store !== store);
  const all = [...kept, ...rows.map((row) => ({ store, ...row }))];
  all.sort((a, b) => a.store.localeCompare(b.store)); // Stable: each store's rows keep their order.
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(all, null, 2) + "\n");
}
