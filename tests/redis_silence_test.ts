/**
 * Connections that stop answering without closing: the own Redis client and the store on
 * top, against a TCP proxy that stops forwarding (`_tcp_proxy.ts`) and a `redis-server`
 * frozen with SIGSTOP. Calls must reject within a bound (`commandTimeout`, short here),
 * and everything must work again afterwards, subscriptions and jobs included. Each wait has
 * a deadline well above the bound, so a regression fails instead of hanging.
 */

import assert from "node:assert/strict";
import { after, test } from "node:test";
import { kinetik, StoreError } from "../mod.ts";
import { RedisStore } from "../stores/redis.ts";
import { type ClientSettings, RespClient } from "../stores/redis/_client.ts";
import { connectionSettings } from "../stores/redis/_connection.ts";
import { deferred, waitFor } from "./_helpers.ts";
import { redisServer } from "./_redis_server.ts";
import { tcpProxy } from "./_tcp_proxy.ts";

const server = await redisServer({});
const skip = typeof server === "string"
  ? server
  : server.ownsServer
  ? undefined
  : "KINETIK_REDIS_URL is set: these tests need a redis-server of their own to freeze";
if (skip) console.log(`Skipping the Redis silence tests: ${skip}`);
const url = typeof server === "string" ? "redis://127.0.0.1:1" : server.url;
const port = Number(new URL(url).port);
after(() => typeof server === "string" ? undefined : server.dispose());

/** The bound under test: short, so the tests are quick. */
const TIMEOUT = 300;
/** How long a test waits for something that the bound promises much sooner. */
const DEADLINE = 5000;

/** Settles as `promise` does, or rejects when it has not settled within `ms`. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

function client(at: string, settings: Partial<ClientSettings> = {}): RespClient {
  return new RespClient({ ...connectionSettings(at, { commandTimeout: TIMEOUT }), ...settings });
}

/** How many connections follow `channel`, asked over `admin`. */
async function followers(admin: RespClient, channel: string): Promise<number> {
  const reply = await admin.call(["PUBSUB", "NUMSUB", channel]).catch(() => [0, -1]);
  return (reply as number[])[1];
}

test("RespClient.call() rejects when the connection falls silent, then reconnects", {
  skip,
}, async () => {
  const proxy = await tcpProxy(port);
  const redis = client(`redis://127.0.0.1:${proxy.port}`);
  try {
    assert.equal(await redis.call(["PING"]), "PONG");
    proxy.freeze();
    await within(
      assert.rejects(
        redis.call(["INCR", "silent-counter"]),
        new RegExp(
          "^Error: Connection to Redis at 127\\.0\\.0\\.1:\\d+ closed before the reply " +
            `\\(the command may have run\\): nothing came back for ${TIMEOUT} ms \\(commandTimeout\\)$`,
        ),
      ),
      DEADLINE,
      "the call on a silent connection",
    );
    // While the proxy stays silent, new attempts fail alike and commands wait at most the bound.
    await within(
      assert.rejects(redis.call(["PING"]), /within 300 ms \(commandTimeout\)/),
      DEADLINE,
      "a call while reconnecting",
    );
    proxy.thaw();
    await waitFor(() => redis.status === "ready", DEADLINE, "a reconnect");
    assert.equal(await redis.call(["PING"]), "PONG");
    assert.ok(proxy.accepted >= 2, `reconnected: ${proxy.accepted} connections`);
  } finally {
    await redis.disconnect();
    await proxy.close();
  }
});

test("RespClient.subscribe() finds a silent idle subscriber, subscribes again and says so", {
  skip,
}, async () => {
  const proxy = await tcpProxy(port);
  const subscriber = client(`redis://127.0.0.1:${proxy.port}`);
  const admin = client(url);
  const heard: string[] = [];
  let renewals = 0;
  try {
    await subscriber.subscribe("silent-news", (text) => heard.push(text), () => renewals++);
    proxy.freeze();
    // Nothing is sent to an idle subscriber: only the watchdog's PING finds it dead, and the
    // proxy then closes its side to Redis too.
    await waitFor(
      async () => await followers(admin, "silent-news") === 0,
      DEADLINE,
      "the silent subscriber dropped",
    );
    assert.equal(renewals, 0);
    proxy.thaw();
    await waitFor(() => renewals >= 1, DEADLINE, "the subscription renewed");
    assert.equal(await followers(admin, "silent-news"), 1);
    await admin.call(["PUBLISH", "silent-news", "back"]);
    await waitFor(() => heard.length === 1, DEADLINE, "a message after the renewal");
    assert.deepEqual(heard, ["back"]);
  } finally {
    await subscriber.disconnect();
    await admin.disconnect();
    await proxy.close();
  }
});

test("RespClient.call() rejects while Redis is frozen (SIGSTOP) and works after SIGCONT", {
  skip,
}, async () => {
  if (typeof server === "string") return;
  const redis = client(url);
  try {
    assert.equal(await redis.call(["PING"]), "PONG");
    server.freeze();
    try {
      await within(
        assert.rejects(redis.call(["PING"]), /nothing came back for 300 ms/),
        DEADLINE,
        "the call in flight",
      );
      // The kernel still accepts connections to a stopped process: the handshake is what
      // goes unanswered, and a command waiting for it rejects after the bound too.
      await within(
        assert.rejects(redis.call(["PING"]), /^Error: Cannot reach Redis at .* within 300 ms/),
        DEADLINE,
        "the call waiting for a connection",
      );
    } finally {
      server.thaw();
    }
    await waitFor(() => redis.status === "ready", DEADLINE, "a reconnect");
    assert.equal(await redis.call(["PING"]), "PONG");
  } finally {
    await redis.disconnect();
  }
});

test("Redis: a job added before Redis froze runs exactly once after it thaws", {
  skip,
  timeout: 20_000,
}, async () => {
  if (typeof server === "string") return;
  const prefix = `frozen-${Math.random().toString(36).slice(2, 8)}`;
  const open = () => new RedisStore({ url, prefix, commandTimeout: TIMEOUT });
  const producer = kinetik(open());
  producer.on("error", () => {});
  const worker = kinetik(open(), { interval: "1m" });
  const errors: unknown[] = [];
  worker.on("error", (error) => errors.push(error));
  const completed = deferred();
  let runs = 0;
  worker.define("work").action(() => {
    runs++;
  }).on("complete", () => completed.resolve());
  try {
    const job = await producer.create("work", { n: 1 });
    server.freeze();
    try {
      worker.process("default");
      const failed = await within(
        producer.count({ task: "work" }).then(() => undefined, (error) => error),
        DEADLINE,
        "a count on the frozen server",
      );
      assert.ok(failed instanceof StoreError, `a StoreError: ${failed}`);
      assert.match(failed.message, /^redis: Cannot count jobs as Redis failed: .*commandTimeout/);
      await waitFor(() => errors.length > 0, DEADLINE, "the worker's error");
      assert.ok(errors.every((error) => error instanceof StoreError), String(errors[0]));
    } finally {
      server.thaw();
    }
    await within(completed.promise, 10_000, "the job's completion");
    assert.equal(runs, 1);
    const record = await producer.get(job.id);
    assert.equal(record?.status, "completed");
    assert.deepEqual(await producer.store.stats(), { work: { completed: 1 } });
  } finally {
    await worker.close();
    await producer.close();
  }
});

test("Redis: a processor whose subscriber fell silent hears new jobs again once it thaws", {
  skip,
  timeout: 20_000,
}, async () => {
  const proxy = await tcpProxy(port);
  const prefix = `deaf-${Math.random().toString(36).slice(2, 8)}`;
  const channel = `{kinetik:${prefix}}:events`;
  const producer = kinetik(new RedisStore({ url, prefix }));
  producer.on("error", () => {});
  // Through the proxy, and an interval far beyond the test's deadlines: only wake-ups over
  // pub/sub can start these jobs in time.
  const worker = kinetik(
    new RedisStore({ url: `redis://127.0.0.1:${proxy.port}`, prefix, commandTimeout: TIMEOUT }),
    { interval: "1m" },
  );
  const admin = client(url);
  worker.on("error", () => {});
  const done: string[] = [];
  worker.define("work").action((job) => {
    done.push((job.data as { name: string }).name);
  });
  try {
    worker.process("default");
    await waitFor(async () => await followers(admin, channel) === 1, DEADLINE, "the subscriber");
    await producer.create("work", { name: "before" });
    await waitFor(() => done.length === 1, DEADLINE, "the job before the freeze");
    // The subscriber's connection falls silent (and every new one), the store's command
    // connection, the first one through the proxy, goes on.
    proxy.freeze([1]);
    await waitFor(
      async () => await followers(admin, channel) === 0,
      DEADLINE,
      "the silent subscriber dropped",
    );
    // Its wake-up is published to nobody: the renewal's own wake-up must make up for it.
    await producer.create("work", { name: "during" });
    proxy.thaw();
    await waitFor(() => done.length === 2, DEADLINE, "the job added during the freeze");
    await producer.create("work", { name: "after" });
    await waitFor(() => done.length === 3, DEADLINE, "the job after the thaw");
    assert.deepEqual(done, ["before", "during", "after"]);
  } finally {
    await worker.close();
    await producer.close();
    await admin.disconnect();
    await proxy.close();
  }
});

test("Redis: a claim lost to a frozen server is recovered, and its job runs once", {
  skip,
  timeout: 20_000,
}, async () => {
  if (typeof server === "string") return;
  const prefix = `lost-claim-${Math.random().toString(36).slice(2, 8)}`;
  // The timeout from the URL's query this time, as `openStore()` and the CLI take it.
  const open = () => new RedisStore({ url: `${url}?commandTimeout=${TIMEOUT}ms`, prefix });
  const producer = kinetik(open());
  producer.on("error", () => {});
  // The job falls due while Redis is frozen, so the worker's claim goes out then, and its
  // connection is dropped before Redis thaws. Redis still runs the claim it was sent (its
  // answer goes nowhere): the job is leased to nobody until this lease runs out and recovery
  // requeues it (at-least-once delivery, attempt 2; the run is still the only one).
  const worker = kinetik(open(), { interval: "1m", lease: "1s" });
  const errors: unknown[] = [];
  worker.on("error", (error) => errors.push(error));
  const idle: unknown[] = [];
  worker.on("empty", (tags) => idle.push(tags));
  const completed = deferred();
  let runs = 0;
  worker.define("work").action(() => {
    runs++;
  }).on("complete", () => completed.resolve());
  try {
    worker.process("default");
    await waitFor(() => idle.length === 1, DEADLINE, "the worker idle");
    const job = await producer.create("work", { n: 1 }, "300ms");
    // Its wake-up makes the worker claim: nothing ready yet, due in 300 ms.
    await waitFor(() => idle.length === 2, DEADLINE, "the worker idle until the job is due");
    server.freeze();
    try {
      await within(
        assert.rejects(
          producer.get(job.id),
          /^StoreError: redis: Cannot get a job as .*nothing came back for 300 ms \(commandTimeout\)/,
        ),
        DEADLINE,
        "a read on the frozen server",
      );
      await waitFor(() => errors.length > 0, DEADLINE, "the worker's claim dropped");
      assert.ok(errors[0] instanceof StoreError, String(errors[0]));
      assert.match(errors[0].message, /^redis: Cannot claim jobs as .*commandTimeout/);
      assert.equal(runs, 0);
    } finally {
      server.thaw();
    }
    await within(completed.promise, 10_000, "the job's completion");
    assert.equal(runs, 1);
    assert.equal((await producer.get(job.id))?.status, "completed");
    assert.deepEqual(await producer.store.stats(), { work: { completed: 1 } });
  } finally {
    await worker.close();
    await producer.close();
  }
});
