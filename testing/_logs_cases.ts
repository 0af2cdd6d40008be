/**
 * Conformance cases for the log verbs: `appendLogs`, `logs`, and the lines other verbs write.
 * A log is read oldest first by time, lines of equal time in the order they were appended,
 * whichever verb appended them. @module
 */

import assert from "node:assert/strict";
import type { LogLine } from "../src/job.ts";
import { MAX_DATA_DEPTH } from "../src/json_data.ts";
import { STORE_MESSAGES } from "../src/store.ts";
import type { StoreCase } from "./_helpers.ts";
import { assertSameJson, claimOne, deepData, newJob, plain, T0 } from "./_helpers.ts";

/** A log line at `T0 + at`. */
function lineAt(at: number, message: string): LogLine {
  return { time: T0 + at, message };
}

/** The log lines' `time offset message` texts, for messages that read well on failure. */
function texts(lines: readonly LogLine[]): string[] {
  return lines.map((l) => `${l.time - T0} ${l.message}`);
}

/** The log cases. */
export const logsCases: StoreCase[] = [
  {
    name: "logs: keep line data nested 1000 levels deep (the core's limit) from every verb",
    async run(store) {
      const data = deepData(MAX_DATA_DEPTH);
      const [job] = await store.add([newJob("deep")]);
      await store.appendLogs(job.id, [{ time: T0 + 1, message: "appended", data }]);
      const leased = await claimOne(store, "deep");
      await store.settle([{
        id: job.id,
        token: leased.token,
        outcome: "completed",
        now: T0 + 3,
        logs: [{ time: T0 + 2, message: "settled", data }],
      }]);
      const lines = await store.logs(job.id);
      assert.deepEqual(lines.map((l) => l.message), ["Created", "appended", "settled"]);
      assertSameJson(lines[1].data, data, "appendLogs keeps the data");
      assertSameJson(lines[2].data, data, "settle keeps the data");
    },
  },
  {
    name: "logs: appends lines in order whatever the status and ignores unknown jobs",
    async run(store) {
      const [job] = await store.add([newJob("log")]);
      const line = (n: number, data?: unknown) => ({
        time: T0 + n,
        message: `line ${n}`,
        ...(data === undefined ? {} : { data }),
      });
      await store.appendLogs(job.id, [line(1, { list: [1, 2], deep: { ok: true } }), line(2)]);
      await store.appendLogs(job.id, [line(3)]);
      const leased = await claimOne(store, "log");
      await store.settle([{
        id: job.id,
        token: leased.token,
        outcome: "completed",
        now: T0 + 5,
        logs: [line(4)],
      }]);
      await store.appendLogs(job.id, [line(5, "text")]);
      const expected = [
        { time: T0, message: "Created" },
        line(1, { list: [1, 2], deep: { ok: true } }),
        line(2),
        line(3),
        line(4),
        line(5, "text"),
      ];
      const lines = await store.logs(job.id);
      assert.deepEqual(plain(lines), expected);
      (lines[1].data as { list: number[] }).list.push(3);
      assert.deepEqual(plain(await store.logs(job.id)), expected, "logs returns copies");
      await store.appendLogs("404404", [line(6)]);
      assert.deepEqual(await store.logs("404404"), []);
    },
  },
  {
    name: "logs: lists a cancelled running job's lines in time order, not append order",
    async run(store) {
      const [job] = await store.add([newJob("log")]);
      await claimOne(store, "log", { now: T0 + 1 });
      assert.ok(await store.cancel(job.id, T0 + 5));
      // What a processor appends when the cancelled run stops: the lines it buffered.
      await store.appendLogs(job.id, [
        lineAt(1, "Started (attempt 1)"),
        lineAt(3, "working"),
        lineAt(5, "Run stopped: the job was cancelled"),
      ]);
      assert.deepEqual(texts(await store.logs(job.id)), [
        "0 Created",
        "1 Started (attempt 1)",
        "3 working",
        `5 ${STORE_MESSAGES.cancelled}`,
        "5 Run stopped: the job was cancelled",
      ]);
    },
  },
  {
    name: "logs: orders lines of every verb by time, ties in the order they were appended",
    async run(store) {
      const [job] = await store.add([newJob("log")]);
      await store.appendLogs(job.id, [lineAt(10, "appended first at 10")]);
      const leased = await claimOne(store, "log");
      await store.settle([{
        id: job.id,
        token: leased.token,
        outcome: "completed",
        now: T0 + 11,
        logs: [lineAt(2, "settled at 2"), lineAt(10, "settled at 10")],
      }]);
      await store.appendLogs(job.id, [
        lineAt(1, "appended last at 1"),
        lineAt(20, "tie 1"),
        lineAt(20, "tie 2"),
        lineAt(20, "tie 3"),
      ]);
      await store.appendLogs(job.id, [lineAt(20, "tie 4")]);
      const expected = [
        "0 Created",
        "1 appended last at 1",
        "2 settled at 2",
        "10 appended first at 10",
        "10 settled at 10",
        "20 tie 1",
        "20 tie 2",
        "20 tie 3",
        "20 tie 4",
      ];
      assert.deepEqual(texts(await store.logs(job.id)), expected);
      assert.deepEqual(texts(await store.logs(job.id)), expected, "a second read is the same");
    },
  },
];
