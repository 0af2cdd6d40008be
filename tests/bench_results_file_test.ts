import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { saveRows } from "../bench/peers/_results_file.ts";

const dir = mkdtempSync(join(tmpdir(), "kinetik-results-"));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const read = (path: string) => JSON.parse(readFileSync(path, "utf8"));

test("saveRows() replaces the rows of its store and keeps the other store's", () => {
  const path = join(dir, `${++files}.json`);
  saveRows(path, "redis", [{ system: "kinetik", jobsPerSec: 1 }]);
  saveRows(path, "sqlite", [{ system: "plainjob", jobsPerSec: 2 }]);
  saveRows(path, "redis", [{ system: "bullmq", jobsPerSec: 3 }]);
  assert.deepEqual(read(path), [
    { store: "redis", system: "bullmq", jobsPerSec: 3 },
    { store: "sqlite", system: "plainjob", jobsPerSec: 2 },
  ]);
});

test("saveRows() reads rows without a store as Redis rows when the file predates stores", () => {
  const path = join(dir, `${++files}.json`);
  writeFileSync(path, JSON.stringify([{ system: "bee-queue", jobsPerSec: 4 }]));
  saveRows(path, "sqlite", [{ system: "kinetik", jobsPerSec: 5 }]);
  assert.deepEqual(read(path), [
    { store: "redis", system: "bee-queue", jobsPerSec: 4 },
    { store: "sqlite", system: "kinetik", jobsPerSec: 5 },
  ]);
});

test("saveRows() creates the file and its directory when missing", () => {
  const path = join(dir, "new", "latest.json");
  saveRows(path, "sqlite", []);
  assert.deepEqual(read(path), []);
});
