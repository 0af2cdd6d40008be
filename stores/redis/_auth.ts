/**
 * Refused authentication, told apart from other failures: a Redis with `requirepass` (or ACL
 * users) answers a client without a password with NOAUTH, and a wrong one with WRONGPASS.
 * Neither goes away by retrying, so the client rejects the waiting commands at once and the
 * store says what to change. Private to the Redis store. @module
 */

import { StoreError } from "../../src/store.ts";

/** Redis refused the connection's credentials, or asked for some. */
export class RedisAuthError extends Error {
  override name = "RedisAuthError";
  /** `"authentication required"` (no password given) or `"authentication failed"`. */
  readonly problem: string;
  /** What Redis answered and how to pass the password. */
  readonly detail: string;

  /** @param problem what went wrong; @param detail Redis's answer and the remedy */
  constructor(problem: string, detail: string, options?: ErrorOptions) {
    super(`${problem}: ${detail}`, options);
    this.problem = problem;
    this.detail = detail;
  }
}

/** Where the client connects, for the remedy in the message. */
export interface AuthTarget {
  scheme: "redis" | "rediss";
  host: string;
  port: number;
}

/**
 * The {@linkcode RedisAuthError} for an error reply to the handshake, or `undefined` when the
 * reply is about something else.
 *
 * @param reply Redis's error text, e.g. "NOAUTH Authentication required."
 * @param isAuthReply whether it answered AUTH (any refusal of AUTH is a failed login)
 */
export function authError(
  reply: Error,
  isAuthReply: boolean,
  target: AuthTarget,
): RedisAuthError | undefined {
  const text = reply.message;
  const host = target.host.includes(":") ? `[${target.host}]` : target.host;
  const where = `${host}:${target.port}`;
  const forms =
    `${target.scheme}://:PASSWORD@${where}, or ${target.scheme}://USER:PASSWORD@${where}` +
    " for an ACL user (percent-encode special characters)";
  const answered = `Redis at ${where} answered "${text}"`;
  if (!isAuthReply && text.startsWith("NOAUTH")) {
    return new RedisAuthError(
      "authentication required",
      `${answered}; pass the password in the URL: ${forms}`,
      { cause: reply },
    );
  }
  if (!isAuthReply) return undefined;
  return new RedisAuthError(
    "authentication failed",
    `${answered}; check the user and password in the URL: ${forms}`,
    { cause: reply },
  );
}

/**
 * The store's error for a refused login while trying to do `what`, e.g. "redis:
 * authentication required to add jobs: Redis at 127.0.0.1:6379 answered "NOAUTH …"; pass …".
 */
export function authStoreError(error: RedisAuthError, what: string): StoreError {
  return new StoreError("redis", `${error.problem} to ${what}: ${error.detail}`, { cause: error });
}
