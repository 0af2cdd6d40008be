/**
 * What a new connection of the Redis client sends before anything else, and which answers
 * make it unusable. Private to the Redis store. @module
 */

import type { Arg } from "./_resp.ts";
import { authError, type AuthTarget } from "./_auth.ts";

/** Who to be on a new connection. */
export interface HandshakeSettings extends AuthTarget {
  db: number;
  username?: string;
  password?: string;
  name: string;
}

/** One command of the handshake. */
export interface HandshakeStep {
  command: Arg[];
  /** `"auth"`: AUTH; `"name"`: CLIENT SETNAME, whose failure alone is no reason to give up. */
  kind: "auth" | "name" | "required";
}

/**
 * AUTH (when a password is given), SELECT (for a database other than 0), CLIENT SETNAME and
 * a SUBSCRIBE per followed channel, in the order they are to be sent.
 */
export function handshakeSteps(
  settings: HandshakeSettings,
  channels: Iterable<string>,
): HandshakeStep[] {
  const { username, password, db, name } = settings;
  const steps: HandshakeStep[] = [];
  if (password !== undefined) {
    const command = username === undefined ? ["AUTH", password] : ["AUTH", username, password];
    steps.push({ command, kind: "auth" });
  }
  if (db !== 0) steps.push({ command: ["SELECT", db], kind: "required" });
  // CLIENT SETNAME also tells whether Redis wants a password none was given for: it answers
  // NOAUTH then. Found here, that beats the "ERR Protocol error: unauthenticated multibulk
  // length" that an unauthenticated script call with many arguments gets.
  steps.push({ command: ["CLIENT", "SETNAME", name], kind: "name" });
  for (const channel of channels) steps.push({ command: ["SUBSCRIBE", channel], kind: "required" });
  return steps;
}

/**
 * The error that makes the connection unusable, given each step's outcome (in the order of
 * `steps`), or `undefined` when it is ready: a refused login first, then any other failure,
 * except of CLIENT SETNAME alone (naming is a courtesy that a proxy may not offer).
 */
export function handshakeError(
  steps: readonly HandshakeStep[],
  results: readonly PromiseSettledResult<unknown>[],
  target: AuthTarget,
): Error | undefined {
  let failure: Error | undefined;
  for (let i = 0; i < steps.length; i++) {
    const result = results[i];
    if (result.status === "fulfilled") continue;
    const reason = result.reason instanceof Error
      ? result.reason
      : new Error(String(result.reason));
    const refused = authError(reason, steps[i].kind === "auth", target);
    if (refused) return refused;
    if (steps[i].kind !== "name") failure ??= reason;
  }
  return failure;
}
