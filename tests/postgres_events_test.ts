import assert from "node:assert/strict";
import { after, test } from "node:test";
import type { NewJob, StoreMessage } from "../src/store.ts";
import { PAYLOAD_LIMIT, toPayloads, utf8Length } from "../stores/postgres/_notify.ts";
import { PostgresStore } from "../stores/postgres.ts";
import { unavailable } from "./_unavailable.ts";
import { postgresServer } from "./_postgres_server.ts";

const server = await postgresServer();
const skip = unavailable(
  "the PostgreSQL event tests",
  typeof server === "string" ? server : undefined,
);
const url = typeof server === "string" ? "" : server.url;
after(() => typeof server === "string" ? undefined : server.dispose());

let schemas = 0;
const T0 = 1_700_000_000_000;
const newJob = (task: string): NewJob => ({
  task,
  data: null,
  created: T0,
  priority: 0,
  log: { time: T0, message: "Created" },
});

type Reader = ReadableStreamDefaultReader<StoreMessage>;

/** Reads until a message matches, failing after `ms`; every message read goes to `seen`. */
async function expectMessage(
  reader: Reader,
  matches: (message: StoreMessage) => boolean,
  what: string,
  seen: StoreMessage[] = [],
  ms = 5_000,
): Promise<StoreMessage> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms);
  });
  try {
    for (;;) {
      const { done, value } = await Promise.race([reader.read(), timeout]);
      if (done) throw new Error(`the subscription ended before ${what}`);
      seen.push(value);
      if (matches(value)) return value;
    }
  } finally {
    clearTimeout(timer);
  }
}

/** Two stores on one schema (as two processes would be), each with its own pool. */
async function withStores(
  fn: (a: PostgresStore, b: PostgresStore, signal: AbortSignal) => Promise<void>,
): Promise<void> {
  const schema = `ev${++schemas}`;
  const a = new PostgresStore({ url, schema, max: 2 });
  const b = new PostgresStore({ url, schema, max: 2 });
  const controller = new AbortController();
  try {
    await a.ready();
    await b.ready();
    await fn(a, b, controller.signal);
  } finally {
    controller.abort();
    await a.close();
    await b.close();
  }
}

/** Subscribes on `store` and returns once its LISTEN is confirmed (its own message came back). */
async function listening(store: PostgresStore, signal: AbortSignal): Promise<Reader> {
  const reader = store.subscribe(signal).getReader();
  await store.publish({ type: "event", origin: "ready", event: "ready" });
  await expectMessage(reader, (m) => m.type === "event" && m.event === "ready", "own probe");
  return reader;
}

const bigEvent = (n: number, size: number) => ({
  type: "log",
  id: String(n),
  text: "é".repeat(size),
});

test(
  "subscribe() hears a message sent right after it returns, without waiting",
  { skip },
  async () => {
    await withStores(async (a, _b, signal) => {
      // No handshake: publish and add right away; both must arrive.
      const reader = a.subscribe(signal).getReader();
      await a.publish({ type: "cancel", id: "42" });
      await a.add([newJob("mail")]);
      const seen: StoreMessage[] = [];
      await expectMessage(reader, (m) => m.type === "cancel" && m.id === "42", "cancel", seen);
      await expectMessage(reader, (m) => m.type === "wake" && m.task === "mail", "wake", seen);
    });
  },
);

test(
  "publish() sends a message over the NOTIFY limit through the events table, in order",
  { skip },
  async () => {
    await withStores(async (a, b, signal) => {
      const reader = await listening(a, signal);
      const huge: StoreMessage = { type: "event", origin: "b-1", event: bigEvent(1, 20_000) };
      await b.publish({ type: "cancel", id: "before" });
      await b.publish(huge);
      await b.publish({ type: "cancel", id: "after" });
      const seen: StoreMessage[] = [];
      await expectMessage(reader, (m) => m.type === "cancel" && m.id === "after", "last", seen);
      assert.deepEqual(seen, [{ type: "cancel", id: "before" }, huge, {
        type: "cancel",
        id: "after",
      }]);
      const [{ n }] = await a.sql.unsafe(`SELECT count(*)::int AS n FROM "${a.schema}".events`);
      assert.equal(n, 1, "only the large message was stored");
    });
  },
);

test(
  "publish() splits a batch of events too long for one NOTIFY into several",
  { skip },
  async () => {
    await withStores(async (a, b, signal) => {
      const reader = await listening(a, signal);
      const events = Array.from({ length: 40 }, (_, n) => bigEvent(n, 300));
      await b.publish({ type: "event", origin: "b-2", event: events });
      const received: unknown[] = [];
      const seen: StoreMessage[] = [];
      while (received.length < events.length) {
        const message = await expectMessage(reader, (m) => m.type === "event", "events", seen);
        if (message.type === "event") received.push(...(message.event as unknown[]));
      }
      assert.deepEqual(received, events);
      assert.ok(seen.length > 1, "more than one message");
      const [{ n }] = await a.sql.unsafe(`SELECT count(*)::int AS n FROM "${a.schema}".events`);
      assert.equal(n, 0, "no event needed the table");
    });
  },
);

test("toPayloads() keeps every payload under the limit unless one event alone exceeds it", () => {
  const events = [bigEvent(1, 100), bigEvent(2, 5_000), bigEvent(3, 100), bigEvent(4, 100)];
  const payloads = toPayloads({ type: "event", origin: "o-1", event: events });
  assert.deepEqual(payloads.map((p) => p.isLarge), [false, true, false]);
  for (const payload of payloads) {
    assert.ok(payload.text.startsWith("o-1|"));
    if (!payload.isLarge) assert.ok(utf8Length(payload.text) <= PAYLOAD_LIMIT);
  }
  const parsed = payloads.flatMap((p) => JSON.parse(p.text.slice(4)).event);
  assert.deepEqual(parsed, events);
  assert.deepEqual(toPayloads({ type: "wake", task: "t" }), [
    { text: '|{"type":"wake","task":"t"}', isLarge: false },
  ]);
  assert.equal(utf8Length("aé😀"), 1 + 2 + 4);
});

test(
  "subscribe() skips the echo of a stream's own events but hands others' on",
  { skip },
  async () => {
    await withStores(async (a, _b, signal) => {
      const mine = a.subscribe(signal, { origin: "me" }).getReader();
      const other = a.subscribe(signal).getReader();
      await a.publish({ type: "event", origin: "me", event: "from me" });
      await a.publish({ type: "event", origin: "you", event: "from you" });
      const seenMine: StoreMessage[] = [];
      await expectMessage(mine, (m) => m.type === "event" && m.origin === "you", "other", seenMine);
      assert.deepEqual(seenMine.map((m) => m.type === "event" && m.event), ["from you"]);
      const seenOther: StoreMessage[] = [];
      await expectMessage(other, (m) => m.type === "event" && m.origin === "you", "all", seenOther);
      assert.deepEqual(seenOther.map((m) => m.type === "event" && m.event), [
        "from me",
        "from you",
      ]);
    });
  },
);

test(
  "subscribe() wakes its streams when the listen connection comes back after a loss",
  { skip },
  async () => {
    await withStores(async (a, b, signal) => {
      const reader = await listening(a, signal);
      const listeners = await b.sql`
      SELECT pid FROM pg_stat_activity WHERE query ILIKE 'listen%' AND pid <> pg_backend_pid()`;
      assert.equal(listeners.length, 1, "one listen connection");
      await b.sql`SELECT pg_terminate_backend(${listeners[0].pid})`;
      const seen: StoreMessage[] = [];
      await expectMessage(reader, (m) => m.type === "wake" && m.task === undefined, "wake", seen);
      // Listening again: messages flow as before.
      await b.publish({ type: "cancel", id: "again" });
      await expectMessage(reader, (m) => m.type === "cancel" && m.id === "again", "cancel", seen);
    });
  },
);

test("publish() sends a job event only once another store listens, and one held over a settle", {
  skip,
}, async () => {
  await withStores(async (a, b, signal) => {
    // A bare LISTEN that never registered stands for "nobody": it hears no job events.
    const raw: string[] = [];
    const channel = `${a.schema}_events`;
    const bare = await a.sql.listen(channel, (payload) => raw.push(payload));
    try {
      await a.publish({ type: "event", origin: "alone", event: { n: 1 } });
      await a.publish({ type: "wake", task: "t" }); // not a job event: always sent
      const reader = await listening(b, signal); // b registers
      await a.publish({ type: "event", origin: "heard", event: { n: 2 } });
      await expectMessage(reader, (m) => m.type === "event" && m.origin === "heard", "event 2");
      // A held event leaves with a's next settle, in that statement.
      await a.add([newJob("carry")]);
      const { jobs: [job] } = await a.claim({
        groups: [["carry"]],
        limit: 1,
        worker: "w",
        leaseMs: 30_000,
        now: T0,
      });
      const published = a.publish({ type: "event", origin: "carried", event: { n: 3 } });
      await a.settle([{ id: job.id, token: job.token, outcome: "completed", now: T0, logs: [] }]);
      await published;
      await expectMessage(reader, (m) => m.type === "event" && m.origin === "carried", "event 3");
      assert.ok(!raw.some((payload) => payload.startsWith("alone|")), "nobody heard event 1");
      assert.ok(raw.some((payload) => payload.includes('"wake"')), "the wake-up went out");
    } finally {
      await bare.unlisten();
    }
  });
});
