/**
 * A Redis that wants a password: every verb of the store, its subscriber and the queue on
 * top say what is wrong and how to pass the password, against a real `redis-server` started
 * with `requirepass` (see `_redis_server.ts`). `authError()` has its own cases first.
 */

import assert from "node:assert/strict";
import { after, test } from "node:test";
import { kinetik, StoreError } from "../mod.ts";
import type { NewJob, Store } from "../src/store.ts";
import { RedisStore } from "../stores/redis.ts";
import { authError, RedisAuthError } from "../stores/redis/_auth.ts";
import { redisServer } from "./_redis_server.ts";

const PASSWORD = "s3cret/+ü";
const server = await redisServer({ password: PASSWORD });
const skip = typeof server === "string" ? server : undefined;
if (skip) console.log(`Skipping the Redis authentication tests: ${skip}`);
const url = typeof server === "string" ? "redis://127.0.0.1:1" : server.url;
const hostPort = url.slice("redis://".length);
const withPassword = (password: string, user = "") =>
  `redis://${user}:${encodeURIComponent(password)}@${hostPort}`;
after(() => typeof server === "string" ? undefined : server.dispose());

const target = { scheme: "redis", host: "127.0.0.1", port: 6379 } as const;

test("authError() asks for the password when Redis answers NOAUTH to a command", () => {
  const error = authError(new Error("NOAUTH Authentication required."), false, target);
  assert.ok(error instanceof RedisAuthError);
  assert.equal(error.problem, "authentication required");
  assert.equal(
    error.message,
    'authentication required: Redis at 127.0.0.1:6379 answered "NOAUTH Authentication required."; ' +
      "pass the password in the URL: redis://:PASSWORD@127.0.0.1:6379, or " +
      "redis://USER:PASSWORD@127.0.0.1:6379 for an ACL user (percent-encode special characters)",
  );
});

test("authError() reports any refusal of AUTH as a failed login, and nothing else", () => {
  const refused = authError(new Error("ERR invalid password"), true, {
    scheme: "rediss",
    host: "::1",
    port: 6380,
  });
  assert.equal(refused?.problem, "authentication failed");
  assert.match(refused!.detail, /^Redis at \[::1\]:6380 answered "ERR invalid password"; check /);
  assert.match(refused!.detail, /rediss:\/\/:PASSWORD@\[::1\]:6380, or rediss:\/\/USER:/);
  assert.equal(authError(new Error("ERR unknown command 'CLIENT'"), false, target), undefined);
});

const T0 = 1_700_000_000_000;
const job: NewJob = {
  task: "report",
  data: {},
  created: T0,
  priority: 0,
  log: { time: T0, message: "Created" },
};
const claim = { groups: [["report"]], limit: 1, worker: "w", leaseMs: 1000, now: T0 };

/** Every verb of the store contract that talks to Redis, with arguments it accepts. */
function verbs(store: Store): Record<string, () => Promise<unknown>> {
  const lease = { id: "1", token: "t" };
  const settlement = { ...lease, outcome: "completed" as const, now: T0, logs: [] };
  return {
    add: () => store.add([job]),
    claim: () => store.claim(claim),
    renew: () => store.renew([lease], 1000, T0),
    settle: () => store.settle([settlement], claim),
    recover: () => store.recover(T0),
    get: () => store.get("1"),
    find: () => store.find({}, { offset: 0, limit: 10 }),
    count: () => store.count({ status: "queued" }),
    stats: () => store.stats(),
    remove: () => store.remove({ status: ["completed"] }),
    cancel: () => store.cancel("1", T0),
    requeue: () => store.requeue!("1", T0),
    appendLogs: () => store.appendLogs("1", [{ time: T0, message: "hi" }]),
    logs: () => store.logs("1"),
    publish: () => store.publish!({ type: "wake" }),
    heartbeat: () =>
      store.heartbeat!({ id: "w", tags: [], tasks: [], started: T0, seen: T0 }, 1000),
    workers: () => store.workers!(T0),
  };
}

/** Checks that `error` is the store's error for `problem`, with Redis's text and the remedy. */
function assertAuthError(error: unknown, problem: RegExp, reply: RegExp): true {
  assert.ok(error instanceof StoreError, `a StoreError: ${error}`);
  assert.match(error.message, problem);
  assert.match(error.message, reply);
  assert.ok(
    error.message.includes(`redis://:PASSWORD@${hostPort}, or redis://USER:PASSWORD@${hostPort}`),
    error.message,
  );
  return true;
}

test("RedisStore rejects every verb with 'authentication required' when no password is given", {
  skip,
}, async () => {
  const store = new RedisStore({ url, prefix: "auth-none" });
  try {
    for (const [name, call] of Object.entries(verbs(store))) {
      await assert.rejects(
        call(),
        (error) =>
          assertAuthError(
            error,
            /^redis: authentication required to [a-z ]+: /,
            /answered "NOAUTH Authentication required\."/,
          ),
        name,
      );
    }
  } finally {
    await store.close();
  }
});

test("RedisStore.subscribe() errors its stream with 'authentication required'", {
  skip,
}, async () => {
  const store = new RedisStore({ url, prefix: "auth-subscribe" });
  const stop = new AbortController();
  try {
    const reader = store.subscribe(stop.signal).getReader();
    await assert.rejects(
      reader.read(),
      (error) => assertAuthError(error, /^redis: authentication required to subscribe: /, /NOAUTH/),
    );
  } finally {
    stop.abort();
    await store.close();
  }
});

test(
  "RedisStore rejects every verb and subscribe() with 'authentication failed' for a wrong password",
  {
    skip,
  },
  async () => {
    const stores = [
      new RedisStore({ url: withPassword("wrong"), prefix: "auth-wrong" }),
      new RedisStore({ url: withPassword(PASSWORD, "nobody"), prefix: "auth-wrong" }),
    ];
    try {
      for (const store of stores) {
        for (const [name, call] of Object.entries(verbs(store))) {
          await assert.rejects(
            call(),
            (error) =>
              assertAuthError(
                error,
                /^redis: authentication failed to [a-z ]+: /,
                /answered "WRONGPASS invalid username-password pair or user is disabled\."/,
              ),
            name,
          );
        }
        const stop = new AbortController();
        await assert.rejects(
          store.subscribe(stop.signal).getReader().read(),
          (error) =>
            assertAuthError(error, /^redis: authentication failed to subscribe: /, /WRONGPASS/),
        );
        stop.abort();
      }
    } finally {
      await Promise.all(stores.map((store) => store.close()));
    }
  },
);

test("queue.create() says how to pass the password, and works once it is in the URL", {
  skip,
}, async () => {
  const anonymous = kinetik(new RedisStore({ url, prefix: "auth-queue" }));
  const authorized = kinetik(new RedisStore({ url: withPassword(PASSWORD), prefix: "auth-queue" }));
  try {
    // What a new user met: "ERR Protocol error: unauthenticated multibulk length".
    await assert.rejects(
      anonymous.create("report", { day: 1 }),
      (error) => assertAuthError(error, /^redis: authentication required to add jobs: /, /NOAUTH/),
    );
    const created = await authorized.create("report", { day: 1 });
    assert.equal((await authorized.get(created.id))?.status, "queued");
    assert.equal(await authorized.count({ task: "report" }), 1);
  } finally {
    await anonymous.close();
    await authorized.close();
  }
});
