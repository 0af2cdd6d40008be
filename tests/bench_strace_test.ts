import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { after, test } from "node:test";
import { countIo, straceWrapper } from "../bench/peers/_strace.ts";
import { unavailable } from "./_unavailable.ts";

const hasStrace = !spawnSync("strace", ["-V"]).error;
const skip = unavailable(
  "the strace counting test",
  hasStrace ? undefined : "strace is not on PATH",
);
const dir = mkdtempSync(join(tmpdir(), "kinetik-strace-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const isBun = "bun" in process.versions;
const fixture = fileURLToPath(new URL("./fixtures/sqlite_writes.ts", import.meta.url));

test("countIo() counts each committed transaction of a traced process once", { skip }, () => {
  const file = join(dir, "writes.db");
  const log = join(dir, "strace.log");
  const [cmd, ...args] = straceWrapper(log);
  const runtime = isBun ? [fixture, file] : ["run", "-A", fixture, file];
  const run = spawnSync(cmd, [...args, process.execPath, ...runtime], { encoding: "utf8" });
  assert.equal(run.status, 0, run.stderr);
  const counts = countIo(readFileSync(log, "utf8"), dir);
  // The schema, five one-row inserts and one transaction of two rows.
  assert.equal(counts.commits, 7);
  // Each commit appends at least the page it changed.
  assert.ok(counts.walPages >= 7, `walPages ${counts.walPages}`);
  // Closing the last connection checkpoints: pages reach the file, with syncs.
  assert.ok(counts.dbPages >= 1, `dbPages ${counts.dbPages}`);
  assert.ok(counts.syncs >= 1, `syncs ${counts.syncs}`);
});

test("countIo() ignores writes to files outside the run's directory", () => {
  const hex = (text: string) => [...text].map((c) => `\\x${c.charCodeAt(0).toString(16)}`).join("");
  const header = "\\x00\\x00\\x00\\x02\\x00\\x00\\x00\\x02" + "\\x00".repeat(16);
  const line = (path: string) => `42 pwrite64(7<${hex(path)}>, "${header}", 24, 32) = 24`;
  const trace = [line("/elsewhere/a.db-wal"), line(`${dir}/a.db-wal`)].join("\n");
  assert.deepEqual(countIo(trace, dir), { commits: 1, walPages: 0, dbPages: 0, syncs: 0 });
});
