/**
 * The Redis client's watchdog against a connection of the test's own: what it drops,
 * probes and expires, with a timeout of some tens of milliseconds. Every wait is for the
 * watchdog's call, with a deadline; the client under it is tested against a silent proxy
 * and a frozen redis-server in `redis_client_test.ts` and `redis_freeze_test.ts`.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import { Watchdog, type Watched } from "../stores/redis/_watchdog.ts";

const TIMEOUT = 40;

/** A connection whose state the test sets, recording what the watchdog did to it. */
function connection(state: { inFlight?: boolean; canProbe?: boolean; waiting?: number[] } = {}) {
  const calls: string[] = [];
  const dropped: Error[] = [];
  const expired: number[] = [];
  const listeners = new Set<() => void>();
  const note = (call: string) => {
    calls.push(call);
    for (const listener of listeners) listener();
  };
  const watched: Watched = {
    hasInFlight: () => state.inFlight ?? false,
    canProbe: () => state.canProbe ?? false,
    probe: () => note("probe"),
    drop: (reason) => {
      dropped.push(reason);
      state.inFlight = false;
      note("drop");
    },
    expireWaiting: (before) => {
      const waiting = state.waiting ?? [];
      while (waiting.length > 0 && waiting[0] <= before) expired.push(waiting.shift()!);
      if (expired.length > 0) note("expire");
      return waiting[0];
    },
  };
  /** Resolves once `call` was made, or fails after a second. */
  const made = (call: string) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${call} within a second`)), 1000);
      const check = () => {
        if (!calls.includes(call)) return;
        clearTimeout(timer);
        listeners.delete(check);
        resolve();
      };
      listeners.add(check);
      check();
    });
  return { watched, calls, dropped, expired, made };
}

test("Watchdog drops a connection that sends nothing back while a command waits", async () => {
  const conn = connection({ inFlight: true });
  const watchdog = new Watchdog(TIMEOUT, conn.watched);
  try {
    watchdog.noteSend();
    await conn.made("drop");
    assert.equal(
      conn.dropped[0].message,
      `nothing came back for ${TIMEOUT} ms (commandTimeout)`,
    );
    assert.deepEqual(conn.calls, ["drop"]);
  } finally {
    watchdog.stop();
  }
});

test("Watchdog leaves a connection alone while bytes of a reply keep arriving", async () => {
  const conn = connection({ inFlight: true });
  const watchdog = new Watchdog(TIMEOUT, conn.watched);
  try {
    watchdog.noteSend();
    // Bytes every 10 ms for three timeouts: a slow reply, not a dead connection.
    for (let i = 0; i < 12; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      watchdog.noteRead();
    }
    assert.deepEqual(conn.calls, []);
    await conn.made("drop"); // and once they stop, it is dropped
  } finally {
    watchdog.stop();
  }
});

test("Watchdog probes an idle connection after half the timeout of silence", async () => {
  const conn = connection({ canProbe: true });
  const watchdog = new Watchdog(TIMEOUT, conn.watched);
  try {
    watchdog.noteRead();
    watchdog.arm();
    await conn.made("probe");
    assert.deepEqual(conn.calls, ["probe"]);
  } finally {
    watchdog.stop();
  }
});

test("Watchdog neither probes nor drops a connection that may not be probed", async () => {
  const conn = connection({ canProbe: false, waiting: [Date.now()] });
  const watchdog = new Watchdog(TIMEOUT, conn.watched);
  try {
    watchdog.arm();
    await conn.made("expire"); // the checks ran, and went no further
    assert.deepEqual(conn.calls, ["expire"]);
  } finally {
    watchdog.stop();
  }
});

test("Watchdog expires waiting commands a timeout after they were issued", async () => {
  const now = Date.now();
  const conn = connection({ waiting: [now, now + 5 * TIMEOUT] });
  const watchdog = new Watchdog(TIMEOUT, conn.watched);
  try {
    watchdog.arm();
    await conn.made("expire");
    assert.deepEqual(conn.expired, [now], "the first only");
    conn.calls.length = 0;
    await conn.made("expire"); // re-armed for the second
    assert.deepEqual(conn.expired, [now, now + 5 * TIMEOUT]);
  } finally {
    watchdog.stop();
  }
});

// Deno's sanitizers fail a test that leaves a timer behind; Bun has none (there the test
// checks that no call comes).
const deno = (globalThis as { Deno?: { test: (options: object) => void } }).Deno;
const name = "Watchdog.stop() cancels a due check and leaves no timer behind";
const stopped = async () => {
  const conn = connection({ inFlight: true, canProbe: true, waiting: [Date.now()] });
  const watchdog = new Watchdog(TIMEOUT, conn.watched);
  watchdog.noteSend();
  watchdog.stop();
  watchdog.arm(); // ignored once stopped
  watchdog.noteSend();
  if (!deno) await new Promise((resolve) => setTimeout(resolve, 2 * TIMEOUT));
  assert.deepEqual(conn.calls, []);
};
if (deno) deno.test({ name, sanitizeOps: true, sanitizeResources: true, fn: stopped });
else test(name, stopped);
