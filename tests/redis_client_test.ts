/**
 * The Redis store's own client against a real redis-server (see `_redis_server.ts`), and a
 * fake one where a real server cannot show what is tested. The parser has its own tests in
 * `redis_resp_test.ts`.
 */

import assert from "node:assert/strict";
import { createServer, type Server, type Socket } from "node:net";
import { after, test } from "node:test";
import { type ClientSettings, RespClient } from "../stores/redis/_client.ts";
import { connectionSettings } from "../stores/redis/_connection.ts";
import { ReplyError } from "../stores/redis/_resp.ts";
import { RedisAuthError } from "../stores/redis/_auth.ts";
import { waitFor, withTimeout } from "./_helpers.ts";
import { freePort, redisServer } from "./_redis_server.ts";
import { unavailable } from "./_unavailable.ts";

const server = await redisServer({});
const skip = unavailable(
  "the Redis client tests",
  typeof server === "string" ? server : undefined,
);
const skipRestarts = skip ??
  (typeof server !== "string" && !server.ownsServer
    ? "KINETIK_REDIS_URL is set: these tests need a redis-server of their own"
    : undefined);
const url = typeof server === "string" ? "redis://127.0.0.1:1" : server.url;
after(() => typeof server === "string" ? undefined : server.dispose());

/** A client for `url` (the test server's by default), with `settings` changed. */
function client(settings: Partial<ClientSettings> = {}, at = url): RespClient {
  return new RespClient({ ...connectionSettings(at), ...settings });
}

// Deno's sanitizers fail a test that leaves an op, a timer or a socket behind. They count ops
// started by earlier tests of the file too, so these tests come first. Bun has no sanitizers:
// there they check the rest.
const deno = (globalThis as { Deno?: { test: (options: object) => void } }).Deno;
const sanitized = (name: string, fn: () => Promise<void>) =>
  deno
    ? deno.test({
      name,
      ignore: skip !== undefined,
      sanitizeOps: true,
      sanitizeResources: true,
      fn,
    })
    : test(name, { skip }, fn);

sanitized(
  "RespClient.quit() stops waiting for QUIT after a second and leaves nothing behind",
  async () => {
    const subscriber = client();
    const publisher = client();
    const heard: string[] = [];
    await subscriber.subscribe("sanitized", (message) => heard.push(message));
    assert.equal(await publisher.call(["PUBLISH", "sanitized", "hi"]), 1);
    await waitFor(() => heard.length === 1, 1000, "the message");
    // QUIT waits behind the BLPOP, so quit() gives up after a second and disconnects.
    const blocked = assert.rejects(publisher.call(["BLPOP", "sanitized-list", 5]));
    await publisher.quit();
    await blocked;
    await subscriber.quit();
    assert.equal(subscriber.status, "end");
  },
);

sanitized("RespClient.disconnect() leaves nothing behind while it waits to reconnect", async () => {
  const unreachable = client({}, `redis://127.0.0.1:${await freePort()}`);
  const waiting = assert.rejects(unreachable.call(["PING"]), /connection to Redis is closed/);
  await waitFor(() => unreachable.status === "reconnecting", 1000, "a failed attempt");
  await unreachable.disconnect();
  await waiting;
});

sanitized("RespClient.quit() right after the constructor leaves nothing behind", async () => {
  const early = client();
  await early.quit();
  assert.equal(early.status, "end");
});

test("RespClient.call() pipelines many commands and matches each reply to its command", {
  skip,
}, async () => {
  const redis = client();
  try {
    await redis.call(["DEL", "pipelined"]);
    const replies = await Promise.all(
      Array.from({ length: 10_000 }, () => redis.call(["INCR", "pipelined"])),
    );
    assert.deepEqual(replies, Array.from({ length: 10_000 }, (_, i) => i + 1));
    const [echo, missing, list] = await Promise.all([
      redis.call(["ECHO", "naïve ☃ 😀"]),
      redis.call(["GET", "pipelined-missing"]),
      redis.call(["EVAL", "return {1, 'two', {3}, false}", 0]),
    ]);
    assert.equal(echo, "naïve ☃ 😀");
    assert.equal(missing, null);
    assert.deepEqual(list, [1, "two", [3], null]);
  } finally {
    await redis.quit();
  }
});

test("RespClient.call() writes and reads values larger than a socket takes at once", {
  skip,
}, async () => {
  const redis = client();
  try {
    // 8 MB each way: the kernel takes such a write in parts, so the rest waits for the socket
    // to drain, while the commands after it keep their order.
    const big = "ü".repeat(4_000_000) + "end";
    const replies = await Promise.all([
      redis.call(["SET", "big", big]),
      redis.call(["STRLEN", "big"]),
      redis.call(["GET", "big"]),
      redis.call(["ECHO", "after"]),
    ]);
    assert.equal(replies[0], "OK");
    assert.equal(replies[1], 8_000_003);
    assert.equal(replies[2], big);
    assert.equal(replies[3], "after");
  } finally {
    await redis.call(["DEL", "big"]);
    await redis.quit();
  }
});

test("RespClient.call() rejects with Redis's error reply and goes on", { skip }, async () => {
  const redis = client();
  try {
    await redis.call(["SET", "not-a-number", "x"]);
    const [before, failed, after] = await Promise.allSettled([
      redis.call(["PING"]),
      redis.call(["INCR", "not-a-number"]),
      redis.call(["PING"]),
    ]);
    assert.deepEqual([before, after], [
      { status: "fulfilled", value: "PONG" },
      { status: "fulfilled", value: "PONG" },
    ]);
    assert.equal(failed.status, "rejected");
    const error = (failed as PromiseRejectedResult).reason;
    assert.ok(error instanceof ReplyError);
    assert.equal(error.message, "ERR value is not an integer or out of range");
    await assert.rejects(
      redis.call(["EVALSHA", "0".repeat(40), 0]),
      new ReplyError("NOSCRIPT No matching script. Please use EVAL."),
    );
  } finally {
    await redis.quit();
  }
});

test("RespClient names its connection, selects its database and authenticates", {
  skip: skipRestarts,
}, async () => {
  // A server of this test's own, as it requires a password from then on.
  const guarded = await redisServer({});
  if (typeof guarded === "string") return;
  const admin = client({}, guarded.url);
  const users: RespClient[] = [];
  const connect = (settings: Partial<ClientSettings>) => {
    users.push(client(settings, guarded.url));
    return users.at(-1)!;
  };
  try {
    await admin.call(["ACL", "SETUSER", "alice", "on", ">wonder:land", "~*", "&*", "+@all"]);
    await admin.call(["CONFIG", "SET", "requirepass", "s3cret"]);
    const byPassword = connect({ password: "s3cret", db: 3 });
    assert.equal(await byPassword.call(["CLIENT", "GETNAME"]), "kinetik");
    assert.equal(await byPassword.call(["ACL", "WHOAMI"]), "default");
    await byPassword.call(["SET", "in-db-3", "yes"]);
    const byUser = connect({ username: "alice", password: "wonder:land" });
    assert.equal(await byUser.call(["ACL", "WHOAMI"]), "alice");
    assert.equal(await byUser.call(["GET", "in-db-3"]), null, "db 0 does not hold it");
    await byUser.call(["SELECT", 3]);
    assert.equal(await byUser.call(["GET", "in-db-3"]), "yes");
    const wrong = connect({ username: "alice", password: "nope" });
    await assert.rejects(wrong.call(["PING"]), (error) => {
      assert.ok(error instanceof RedisAuthError);
      assert.match(error.message, /^authentication failed: Redis at .* answered "WRONGPASS /);
      return true;
    });
    const anonymous = connect({});
    await assert.rejects(anonymous.call(["PING"]), (error) => {
      assert.ok(error instanceof RedisAuthError);
      assert.match(error.message, /^authentication required: .*"NOAUTH Authentication required\."/);
      return true;
    });
    // Refused at once from then on, while the client goes on trying: once Redis lets it in,
    // it works.
    await assert.rejects(anonymous.call(["PING"]), RedisAuthError);
    await admin.call(["CONFIG", "SET", "requirepass", ""]);
    await waitFor(() => anonymous.status === "ready", 3000, "the next attempt");
    assert.equal(await anonymous.call(["PING"]), "PONG");
  } finally {
    await Promise.all([admin, ...users].map((user) => user.disconnect()));
    await guarded.dispose();
  }
});

test("RespClient.call() rejects in bounded time while Redis is unreachable", async () => {
  const unreachable = client({}, `redis://127.0.0.1:${await freePort()}`);
  try {
    const rejected = assert.rejects(
      unreachable.call(["PING"]),
      /^Error: Cannot reach Redis at 127\.0\.0\.1:\d+ \(3 connection attempts failed\): /,
    );
    // Three attempts, 100 and 200 ms apart.
    await withTimeout(rejected, 2000, "the call to reject, not hang");
    assert.equal(unreachable.status, "reconnecting");
  } finally {
    await unreachable.disconnect();
  }
  assert.equal(unreachable.status, "end");
  await assert.rejects(
    unreachable.call(["PING"]),
    new Error("Cannot send the command as the connection to Redis is closed"),
  );
});

test("RespClient rejects the commands in flight when Redis stops, then reconnects", {
  skip: skipRestarts,
}, async () => {
  if (typeof server === "string") return;
  const redis = client();
  try {
    assert.equal(await redis.call(["PING"]), "PONG");
    const inFlight = assert.rejects(
      redis.call(["BLPOP", "restart-list", 10]),
      /^Error: Connection to Redis at .* closed before the reply/,
    );
    await server.stop();
    await inFlight;
    await assert.rejects(redis.call(["PING"]), /3 connection attempts failed/);
    assert.equal(redis.status, "reconnecting");
    await server.start();
    // The backoff waits at most a second between attempts.
    await waitFor(() => redis.status === "ready", 3000, "a reconnect");
    assert.equal(await redis.call(["PING"]), "PONG");
    assert.equal(await redis.call(["CLIENT", "GETNAME"]), "kinetik", "the handshake ran again");
  } finally {
    await redis.quit();
  }
});

test("RespClient.subscribe() delivers messages and subscribes again after a restart", {
  skip: skipRestarts,
}, async () => {
  if (typeof server === "string") return;
  const subscriber = client();
  const publisher = client();
  const heard: string[] = [];
  try {
    await subscriber.subscribe("news", (message) => heard.push(message));
    await subscriber.subscribe("other", () => heard.push("wrong channel"));
    assert.equal(await publisher.call(["PUBLISH", "news", "héllo"]), 1);
    await waitFor(() => heard.length === 1, 1000, "the first message");
    await server.stop();
    await server.start();
    // Redis counts the subscriber back a moment before the client has read its answer.
    await waitFor(
      async () =>
        subscriber.status === "ready" &&
        await publisher.call(["PUBSUB", "NUMSUB", "news"]).catch(() => [])
          .then((reply) => (reply as unknown[])[1] === 1),
      5000,
      "the subscriber back",
    );
    await publisher.call(["PUBLISH", "news", "again"]);
    await waitFor(() => heard.length === 2, 1000, "the second message");
    assert.deepEqual(heard, ["héllo", "again"]);
  } finally {
    await subscriber.quit();
    await publisher.quit();
  }
});

/** A fake Redis that answers +OK to everything and records each chunk it receives. */
async function fakeRedis(): Promise<{ server: Server; port: number; chunks: string[] }> {
  const chunks: string[] = [];
  const sockets = new Set<Socket>();
  const fake = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("data", (chunk) => {
      const text = String(chunk);
      chunks.push(text);
      socket.write("+OK\r\n".repeat(text.match(/^\*/gm)?.length ?? 0));
    });
  });
  const port = await freePort();
  await new Promise<void>((resolve) => fake.listen(port, "127.0.0.1", resolve));
  const close = fake.close.bind(fake);
  fake.close = (callback) => {
    for (const socket of sockets) socket.destroy();
    return close(callback);
  };
  return { server: fake, port, chunks };
}

test("RespClient.call() sends the commands issued in one tick in one write", async () => {
  const fake = await fakeRedis();
  const redis = client({}, `redis://127.0.0.1:${fake.port}`);
  try {
    await redis.call(["PING"]);
    fake.chunks.length = 0;
    const replies = await Promise.all(
      Array.from({ length: 50 }, (_, i) => redis.call(["ECHO", i])),
    );
    assert.deepEqual(replies, Array(50).fill("OK"));
    assert.equal(fake.chunks.length, 1, "one chunk");
    assert.equal(fake.chunks[0].match(/^\*2\r$/gm)?.length, 50);
  } finally {
    await redis.disconnect();
    await new Promise((resolve) => fake.server.close(resolve));
  }
});
