/**
 * The dashboard's live connection (`http/dashboard/client/live.js`) against a real HTTP
 * server that the tests steer: it sends events, ends streams, goes silent, refuses. What a
 * page left open for an hour meets, in milliseconds instead of an hour.
 */

import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { test } from "node:test";
import { coalesce, eventQuery, LiveEvents, type LiveState } from "../http/dashboard/client/live.js";

/** One request the server got, and its response to write to. */
interface Connection {
  url: string;
  authorization: string | undefined;
  response: ServerResponse;
  closed: Promise<void>;
}

/** Told of everything the tests wait for: a request, a closed response, a callback. */
const changes = new EventTarget();
const changed = () => changes.dispatchEvent(new Event("change"));

/** Resolves once `check()` holds, re-checking at every change; fails after 5 s. */
async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!check()) {
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`timed out waiting for ${what}`);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, left);
      changes.addEventListener("change", () => (clearTimeout(timer), resolve()), { once: true });
    });
  }
}

/** A server whose every request waits for the test to answer it. */
async function sseServer(answer: (connection: Connection, n: number) => void) {
  const connections: Connection[] = [];
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const closed = new Promise<void>((resolve) =>
      response.once("close", () => (resolve(), changed()))
    );
    const connection = {
      url: request.url ?? "",
      authorization: request.headers.authorization,
      response,
      closed,
    };
    connections.push(connection);
    answer(connection, connections.length);
    changed();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    connections,
    /** Resolves once `n` requests have arrived; fails after 5 s. */
    async requests(n: number): Promise<Connection[]> {
      await until(() => connections.length >= n, `${n} requests`);
      return connections;
    },
    async close() {
      for (const { response } of connections) response.destroy();
      server.closeAllConnections?.();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

function streamStart(response: ServerResponse): void {
  response.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  response.write(": connected\n\n");
}

function send(response: ServerResponse, event: { type: string; job: { id: string } }): void {
  response.write(`event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
}

/** A LiveEvents on `origin` that records what it reports. */
function liveOn(origin: string, options: { silenceMs?: number } = {}) {
  const events: unknown[] = [];
  const states: [LiveState, string | undefined][] = [];
  let opens = 0;
  const live = new LiveEvents({
    open: (query, signal) =>
      fetch(`${origin}/api/events${query}`, {
        signal,
        headers: { authorization: "Bearer s3cret" },
      }),
    onEvent: (event) => (events.push(event), changed()),
    onOpen: () => (opens++, changed()),
    onState: (state, detail) => (states.push([state, detail]), changed()),
    minDelayMs: 10,
    maxDelayMs: 40,
    ...options,
  });
  return { live, events, states, opens: () => opens };
}

test("eventQuery() writes a filter as the API's query string", () => {
  assert.equal(eventQuery({}), "");
  assert.equal(eventQuery({ type: ["completed", "failed"] }), "?type=completed%2Cfailed");
  assert.equal(eventQuery({ job: "42", task: ["a b"] }), "?task=a+b&job=42");
});

test("LiveEvents delivers the filter's events, with the token in a header and not the URL", async () => {
  const server = await sseServer((connection) => {
    streamStart(connection.response);
    send(connection.response, { type: "completed", job: { id: "1" } });
  });
  const { live, events, states, opens } = liveOn(server.origin);
  try {
    live.follow({ type: ["completed"] });
    await until(() => events.length === 1, "the event");
    assert.deepEqual(events, [{ type: "completed", job: { id: "1" } }]);
    assert.equal(opens(), 1);
    assert.equal(live.state, "live");
    assert.deepEqual(states.map(([state]) => state), ["connecting", "live"]);
    const [connection] = server.connections;
    assert.equal(connection.url, "/api/events?type=completed");
    assert.equal(connection.authorization, "Bearer s3cret");
    assert.doesNotMatch(connection.url, /s3cret/);
  } finally {
    live.stop();
    await server.close();
  }
});

test("LiveEvents reconnects when the server ends the stream, and calls onOpen again", async () => {
  const server = await sseServer((connection, n) => {
    streamStart(connection.response);
    send(connection.response, { type: "created", job: { id: String(n) } });
    if (n === 1) connection.response.end(); // a restart, a proxy's cut
  });
  const { live, events, states, opens } = liveOn(server.origin);
  try {
    live.follow({});
    await until(() => events.length === 2, "the event of the second connection");
    assert.deepEqual(events.map((e) => (e as { job: { id: string } }).job.id), ["1", "2"]);
    assert.equal(opens(), 2, "the page reloads after every reconnection");
    const waiting = states.find(([state]) => state === "waiting");
    assert.match(waiting?.[1] ?? "", /^the stream ended; reconnecting in \d+ s$/);
  } finally {
    live.stop();
    await server.close();
  }
});

test("LiveEvents replaces a connection that stays silent past silenceMs", async () => {
  // Connected, then nothing: a half-open TCP connection looks exactly like this.
  const server = await sseServer((connection) => streamStart(connection.response));
  const { live, states, opens } = liveOn(server.origin, { silenceMs: 150 });
  try {
    live.follow({});
    const [first] = await server.requests(2);
    await first.closed; // the client gave the silent one up
    await until(() => opens() === 2, "the second open");
    assert.ok(states.some(([, detail]) => /^the stream went silent; /.test(detail ?? "")));
  } finally {
    live.stop();
    await server.close();
  }
});

test("LiveEvents keeps a connection whose heartbeats arrive in time", async () => {
  const server = await sseServer((connection) => {
    streamStart(connection.response);
    let beats = 0;
    const timer = setInterval(() => {
      connection.response.write(": heartbeat\n\n");
      if (++beats === 10) {
        clearInterval(timer);
        send(connection.response, { type: "completed", job: { id: "after beats" } });
      }
    }, 50);
    connection.closed.then(() => clearInterval(timer));
  });
  const { live, events, opens } = liveOn(server.origin, { silenceMs: 2000 });
  try {
    live.follow({});
    await until(() => events.length === 1, "the event after 10 heartbeats");
    assert.equal(server.connections.length, 1, "a heartbeat every 50 ms: one stream");
    assert.equal(opens(), 1);
  } finally {
    live.stop();
    await server.close();
  }
});

test("LiveEvents retries after refusals and says why it waits", async () => {
  const server = await sseServer((connection, n) => {
    if (n <= 2) return void connection.response.writeHead(503).end("restarting");
    streamStart(connection.response);
  });
  const { live, states, opens } = liveOn(server.origin);
  try {
    live.follow({});
    await until(() => opens() === 1, "the connection after two refusals");
    const waits = states.filter(([state]) => state === "waiting").map(([, detail]) => detail);
    assert.equal(waits.length, 2);
    for (const detail of waits) assert.match(detail!, /^the server answered 503; reconnecting/);
  } finally {
    live.stop();
    await server.close();
  }
});

test("LiveEvents.follow() reconnects for a new filter only, and null closes the stream", async () => {
  const server = await sseServer((connection) => streamStart(connection.response));
  const { live, states } = liveOn(server.origin);
  try {
    live.follow({ job: "7" });
    await until(() => live.state === "live", "live");
    live.follow({ job: "7" });
    live.follow({ job: "8" });
    const [first, second] = await server.requests(2);
    await first.closed;
    assert.equal(second.url, "/api/events?job=8");
    await until(() => live.state === "live", "live again");
    live.follow(null);
    await second.closed;
    assert.equal(live.state, "idle");
    assert.equal(server.connections.length, 2);
    assert.equal(states.at(-1)?.[0], "idle");
  } finally {
    live.stop();
    await server.close();
  }
});

test("coalesce() runs a burst of calls once, and once more for a call made while it runs", async () => {
  let runs = 0;
  let release = () => {};
  const errors: unknown[] = [];
  const reload = coalesce(
    async () => {
      runs++;
      changed();
      await new Promise<void>((resolve) => release = resolve);
    },
    0,
    (error) => errors.push(error),
  );
  for (let i = 0; i < 10; i++) reload();
  await until(() => runs === 1, "the first run");
  reload(); // while it runs: wanted again
  reload();
  release();
  await until(() => runs === 2, "the trailing run");
  release();
  reload.cancel();
  reload();
  assert.equal(runs, 2, "a cancelled reload runs no more");
  assert.deepEqual(errors, []);
});

test("coalesce() hands a failed run to onError and keeps working", async () => {
  const errors: unknown[] = [];
  let runs = 0;
  const reload = coalesce(
    () => {
      runs++;
      changed();
      if (runs === 1) throw new Error("the API is down");
    },
    0,
    (error) => (errors.push(error), changed()),
  );
  reload();
  await until(() => errors.length === 1, "the error");
  assert.equal((errors[0] as Error).message, "the API is down");
  reload();
  await until(() => runs === 2, "the run after the failure");
  reload.cancel();
});
