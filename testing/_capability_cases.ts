/**
 * Conformance cases for the optional capabilities (`subscribe`/`publish`,
 * `heartbeat`/`workers`) and for `close`. @module
 */

import assert from "node:assert/strict";
import type { Store, StoreMessage, WorkerRecord } from "../src/store.ts";
import { STORE_MESSAGES } from "../src/store.ts";
import type { StoreCase } from "./_helpers.ts";
import {
  assertFields,
  assertLastLog,
  claim,
  claimOne,
  ids,
  newJob,
  plain,
  runJob,
  T0,
} from "./_helpers.ts";

/** A reader of a store subscription. */
export type Reader = ReadableStreamDefaultReader<StoreMessage>;

/**
 * Reads until a message matches, failing after `ms` of real time. Real time is only spent
 * when a store delivers across a network; an in-process store answers at once.
 */
export async function expectMessage(
  reader: Reader,
  matches: (message: StoreMessage) => boolean,
  what: string,
  ms = 5_000,
): Promise<StoreMessage> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no ${what} message within ${ms} ms`)), ms);
  });
  try {
    for (;;) {
      const { done, value } = await Promise.race([reader.read(), timeout]);
      if (done) throw new Error(`the subscription ended before a ${what} message`);
      if (matches(value)) return value;
    }
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Publishes probes until the subscription delivers one, so a store whose subscription
 * starts asynchronously (Redis SUBSCRIBE) is live before the case goes on.
 */
export async function handshake(store: Store, reader: Reader): Promise<void> {
  const probe: StoreMessage = { type: "event", origin: "kinetik-testing", event: "probe" };
  const sent: Promise<void>[] = [store.publish!(probe)];
  const interval = setInterval(() => sent.push(store.publish!(probe)), 20);
  try {
    await expectMessage(reader, (m) => m.type === "event" && m.event === "probe", "probe");
  } finally {
    clearInterval(interval);
    await Promise.all(sent);
  }
}

const isWake = (task: string) => (m: StoreMessage) => m.type === "wake" && m.task === task;

/** The capability and `close` cases. */
export const capabilityCases: StoreCase[] = [
  {
    name: "subscribe: wakes on add, release and recover, and delivers published messages",
    async run(store) {
      assert.equal(
        typeof store.subscribe,
        "function",
        'subscribe() is missing: implement it or skip "subscribe" with a reason',
      );
      assert.equal(typeof store.publish, "function", "publish() is missing");
      const controller = new AbortController();
      const reader = store.subscribe!(controller.signal).getReader();
      try {
        await handshake(store, reader);
        await store.add([newJob("wake")]);
        assert.deepEqual(await expectMessage(reader, isWake("wake"), "wake on add"), {
          type: "wake",
          task: "wake",
        });

        const event: StoreMessage = {
          type: "event",
          origin: "p-1",
          event: { type: "completed", id: "7", n: [1] },
        };
        await store.publish!(event);
        assert.deepEqual(
          plain(
            await expectMessage(reader, (m) => m.type === "event" && m.origin === "p-1", "event"),
          ),
          event,
        );
        await store.publish!({ type: "cancel", id: "7" });
        assert.deepEqual(await expectMessage(reader, (m) => m.type === "cancel", "cancel"), {
          type: "cancel",
          id: "7",
        });

        const first = await claimOne(store, "wake");
        await store.settle([{
          id: first.id,
          token: first.token,
          outcome: "release",
          now: T0 + 1,
          logs: [],
        }]);
        await expectMessage(reader, isWake("wake"), "wake on release");
        await claimOne(store, "wake", { now: T0 + 2, leaseMs: 10 });
        assert.equal((await store.recover(T0 + 13)).length, 1);
        await expectMessage(reader, isWake("wake"), "wake on recover");
      } finally {
        controller.abort();
      }
      // Aborting ends the stream (after any messages already delivered).
      await expectMessage(reader, () => false, "end of stream").then(
        () => assert.fail("expected the subscription to end"),
        (error) => assert.match(String(error), /subscription ended/),
      );
    },
  },
  {
    name: "requeue: puts failed, timed-out and cancelled jobs back in the queue",
    async run(store) {
      assert.equal(
        typeof store.requeue,
        "function",
        'requeue() is missing: implement it or skip "requeue" with a reason',
      );
      const failed = await runJob(store, "again", "failed");
      const timedOut = await runJob(store, "again", "timeout");
      const [delayed] = await store.add([newJob("again", { runAt: T0 + 60_000 })]);
      await store.cancel(delayed.id, T0 + 2);
      const completed = await runJob(store, "done", "completed");
      for (const [job, attempts] of [[failed, 1], [timedOut, 1], [delayed, 0]] as const) {
        const requeued = await store.requeue!(job.id, T0 + 100);
        assertFields(requeued, { id: job.id, status: "queued", attempts }, `requeued ${job.id}`);
        assert.equal(requeued?.error, undefined, "the error is cleared");
        assert.equal(requeued?.finished, undefined, "finished is cleared");
        assert.equal(requeued?.runAt, undefined, "runAt is cleared");
        assert.deepEqual(plain(await store.get(job.id)), plain(requeued));
        await assertLastLog(store, job.id, { time: T0 + 100, message: STORE_MESSAGES.requeued });
      }
      assert.equal(await store.requeue!(failed.id, T0 + 101), undefined, "already queued");
      assert.equal(await store.requeue!(completed.id, T0 + 101), undefined, "completed");
      assert.equal(await store.requeue!("404404", T0 + 101), undefined);
      const { jobs } = await claim(store, "again", { now: T0 + 200 });
      assert.deepEqual(ids(jobs).sort(), ids([failed, timedOut, delayed]).sort());
    },
  },
  {
    name: "workers: lists workers until their heartbeat is older than the ttl",
    async run(store) {
      assert.equal(
        typeof store.heartbeat,
        "function",
        'heartbeat() is missing: implement it or skip "workers" with a reason',
      );
      assert.equal(typeof store.workers, "function", "workers() is missing");
      const worker = (id: string, seen: number): WorkerRecord => ({
        id,
        tags: ["default", "mail"],
        tasks: [
          {
            name: "email",
            tag: "mail",
            description: "Sends",
            timeout: 1_000,
            retry: { delay: 10, max: 3, backoff: "fixed" },
          },
          { name: "noop", tag: "default" },
        ],
        host: "host-1",
        pid: 42,
        started: T0,
        seen,
      });
      const w1 = worker("w1", T0);
      await store.heartbeat!(w1, 10_000);
      w1.tags.push("mutated");
      assert.deepEqual(plain(await store.workers!(T0)), [worker("w1", T0)]);
      await store.heartbeat!(worker("w2", T0 + 5_000), 10_000);
      const live = async (now: number) => (await store.workers!(now)).map((w) => w.id).sort();
      assert.deepEqual(await live(T0 + 5_000), ["w1", "w2"]);
      assert.deepEqual(await live(T0 + 10_001), ["w2"], "w1's heartbeat is older than its ttl");
      await store.heartbeat!(worker("w1", T0 + 10_002), 10_000);
      assert.deepEqual(await live(T0 + 10_002), ["w1", "w2"]);
      assert.deepEqual(
        plain((await store.workers!(T0 + 10_002)).find((w) => w.id === "w1")),
        worker("w1", T0 + 10_002),
      );
      assert.deepEqual(await live(T0 + 30_000), []);
    },
  },
  {
    name: "close: makes every verb reject with an error naming the store",
    closesStore: true,
    async run(store) {
      const [job] = await store.add([newJob("closing")]);
      await store.close();
      const now = T0;
      const request = { groups: [["closing"]], limit: 1, worker: "w", leaseMs: 1_000, now };
      const calls: [string, () => Promise<unknown>][] = [
        ["add", () => store.add([newJob("closing")])],
        ["claim", () => store.claim(request)],
        ["renew", () => store.renew([{ id: job.id, token: "t" }], 1_000, now)],
        [
          "settle",
          () => store.settle([{ id: job.id, token: "t", outcome: "completed", now, logs: [] }]),
        ],
        ["recover", () => store.recover(now)],
        ["get", () => store.get(job.id)],
        ["find", () => store.find({}, { offset: 0, limit: 10 })],
        ["count", () => store.count({})],
        ["stats", () => store.stats()],
        ["remove", () => store.remove({ status: ["queued"] })],
        ["cancel", () => store.cancel(job.id, now)],
        ["appendLogs", () => store.appendLogs(job.id, [{ time: now, message: "x" }])],
        ["logs", () => store.logs(job.id)],
      ];
      if (store.publish) calls.push(["publish", () => store.publish!({ type: "wake" })]);
      if (store.workers) calls.push(["workers", () => store.workers!(now)]);
      if (store.requeue) calls.push(["requeue", () => store.requeue!(job.id, now)]);
      if (store.removeJob) calls.push(["removeJob", () => store.removeJob!(job.id)]);
      if (store.promote) calls.push(["promote", () => store.promote!(job.id, now)]);
      const target = { tags: ["t"], tasks: [] };
      if (store.pause) calls.push(["pause", () => store.pause!(target)]);
      if (store.resume) calls.push(["resume", () => store.resume!(target)]);
      if (store.paused) calls.push(["paused", () => store.paused!()]);
      const schedule = {
        id: "s",
        task: "closing",
        every: 1_000,
        tz: "UTC",
        data: null,
        priority: 0,
        missed: "latest" as const,
        next: now,
        spec: "s",
      };
      if (store.schedule) calls.push(["schedule", () => store.schedule!(schedule)]);
      if (store.unschedule) calls.push(["unschedule", () => store.unschedule!("s")]);
      if (store.schedules) calls.push(["schedules", () => store.schedules!()]);
      if (store.fire) {
        const fire = { id: "s", spec: "s", expected: now, next: now + 1_000, jobs: [] };
        calls.push(["fire", () => store.fire!(fire)]);
      }
      if (store.heartbeat) {
        const worker = { id: "w", tags: [], tasks: [], started: now, seen: now };
        calls.push(["heartbeat", () => store.heartbeat!(worker, 1_000)]);
      }
      for (const [verb, call] of calls) {
        await assert.rejects(
          // Wrapped so a verb that throws synchronously is caught too.
          async () => await call(),
          (error: unknown) => {
            assert.ok(error instanceof Error, `${verb}() must reject with an Error`);
            assert.ok(
              error.message.startsWith(store.name),
              `${verb}() error must start with "${store.name}": got "${error.message}"`,
            );
            return true;
          },
          `${verb}() after close()`,
        );
      }
    },
  },
];
