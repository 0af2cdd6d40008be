/** What the Redis client sends first on a connection, and which answers make it unusable. */

import assert from "node:assert/strict";
import { test } from "node:test";
import { handshakeError, handshakeSteps } from "../stores/redis/_handshake.ts";
import { RedisAuthError } from "../stores/redis/_auth.ts";
import { ReplyError } from "../stores/redis/_resp.ts";

const settings = {
  scheme: "redis",
  host: "127.0.0.1",
  port: 6379,
  db: 0,
  name: "kinetik",
} as const;
const ok = (): PromiseSettledResult<unknown> => ({ status: "fulfilled", value: "OK" });
const no = (text: string): PromiseSettledResult<unknown> => ({
  status: "rejected",
  reason: new ReplyError(text),
});

test("handshakeSteps() sends AUTH, SELECT, CLIENT SETNAME and the SUBSCRIBEs, in that order", () => {
  const steps = handshakeSteps(
    { ...settings, db: 2, username: "alice", password: "pw" },
    ["a", "b"],
  );
  assert.deepEqual(steps, [
    { command: ["AUTH", "alice", "pw"], kind: "auth" },
    { command: ["SELECT", 2], kind: "required" },
    { command: ["CLIENT", "SETNAME", "kinetik"], kind: "name" },
    { command: ["SUBSCRIBE", "a"], kind: "required" },
    { command: ["SUBSCRIBE", "b"], kind: "required" },
  ]);
  assert.deepEqual(handshakeSteps({ ...settings, password: "pw" }, []).map((s) => s.command), [
    ["AUTH", "pw"],
    ["CLIENT", "SETNAME", "kinetik"],
  ]);
});

test("handshakeError() finds a Redis that wants a password from CLIENT SETNAME's NOAUTH", () => {
  const steps = handshakeSteps(settings, []);
  const error = handshakeError(steps, [no("NOAUTH Authentication required.")], settings);
  assert.ok(error instanceof RedisAuthError);
  assert.equal(error.problem, "authentication required");
});

test("handshakeError() reports a refused AUTH before the NOAUTH of the steps after it", () => {
  const steps = handshakeSteps({ ...settings, db: 1, password: "pw" }, []);
  const error = handshakeError(steps, [
    no("WRONGPASS invalid username-password pair or user is disabled."),
    no("NOAUTH Authentication required."),
    no("NOAUTH Authentication required."),
  ], settings);
  assert.ok(error instanceof RedisAuthError);
  assert.equal(error.problem, "authentication failed");
  assert.match(error.message, /WRONGPASS/);
});

test("handshakeError() ignores a failed CLIENT SETNAME alone, not a failed SELECT", () => {
  const steps = handshakeSteps({ ...settings, db: 1 }, []);
  assert.equal(
    handshakeError(steps, [ok(), no("ERR unknown command 'CLIENT'")], settings),
    undefined,
  );
  const error = handshakeError(steps, [no("ERR DB index is out of range"), ok()], settings);
  assert.ok(error instanceof ReplyError);
  assert.equal(error.message, "ERR DB index is out of range");
});
