/**
 * What the Redis store needs of a connection, and the settings of one opened from a Redis URL.
 * The URL is parsed here, not by a client library, so `rediss:` means TLS and a malformed URL
 * is reported. @module
 */

import { isIP } from "node:net";
import type { ConnectionOptions } from "node:tls";
import type { Arg } from "./_resp.ts";
import type { ClientSettings } from "./_client.ts";

/**
 * An ioredis client passed in by the user: a `Redis`, or a `Cluster`. Spelled out as the
 * members the store uses rather than as `Redis | Cluster`, so the published docs do not
 * pull in ioredis's own types; both ioredis classes fit it as they are.
 */
export interface RedisClient {
  /** ioredis's connection status, e.g. `"ready"`, `"reconnecting"` or `"end"`. */
  readonly status: string;
  /** `true` on a `Cluster`. */
  readonly isCluster?: boolean;
  /** Sends one command, e.g. `call("EVALSHA", sha, 1, key)`. */
  call(command: string, ...args: (string | number)[]): Promise<unknown>;
  /** Listens to pub/sub messages. */
  on(event: "message", listener: (channel: string, message: string) => void): this;
  /** Listens to connection errors. */
  on(event: "error", listener: (error: Error) => void): this;
  /** Listens for the connection becoming ready (again, after a reconnect). */
  on(event: "ready", listener: () => void): this;
  /** Subscribes to a pub/sub channel. */
  subscribe(channel: string): Promise<unknown>;
  /** A new client with the same settings (the store's own pub/sub connection). */
  duplicate(): RedisClient;
  /** Sends QUIT. */
  quit(): Promise<unknown>;
  /** Closes the connection at once. */
  disconnect(): void;
}

/** How long closing a connection waits for Redis to answer QUIT. */
const QUIT_TIMEOUT = 1000;

/** Waits for `quitting` (a QUIT, its failure ignored), at most `QUIT_TIMEOUT` ms. */
export async function awaitQuit(quitting: Promise<unknown>): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<void>((resolve) => timer = setTimeout(resolve, QUIT_TIMEOUT));
  await Promise.race([quitting.catch(() => {}), timeout]);
  clearTimeout(timer);
}

/** Where a connection is: only a `"ready"` one sends commands at once. */
export type ConnectionStatus = "connecting" | "ready" | "reconnecting" | "end";

/**
 * A connection as the store uses it: the lean client for a URL (`_client.ts`), or an
 * adapter over an ioredis client passed in (`_ioredis.ts`).
 */
export interface RedisConnection {
  readonly status: ConnectionStatus;
  /** Whether commands go to a Redis Cluster (where PUBSUB NUMSUB counts one node only). */
  readonly isCluster: boolean;
  /**
   * Sends one command, e.g. `["EVALSHA", sha, 1, key]`, and resolves with its reply:
   * string, number, null or an array of these. Rejects with Redis's error reply (a
   * `ReplyError` for the lean client), or when the connection fails.
   */
  call(command: readonly Arg[]): Promise<unknown>;
  /**
   * Follows `channel` on this connection, which then serves nothing else; renewed after
   * every reconnect, and `onRenewed` called then (messages published while the connection
   * was down are lost). Resolves once Redis confirms it.
   */
  subscribe(
    channel: string,
    onMessage: (message: string) => void,
    onRenewed?: () => void,
  ): Promise<void>;
  /** Closes the connection politely, or at once when Redis does not answer within a second. */
  quit(): Promise<void>;
}

/** Reconnect attempts a command waits through before it rejects. */
const RETRIES_PER_COMMAND = 3;
/** How long one attempt may take to open its socket. */
const CONNECT_TIMEOUT = 10_000;
/** The default `commandTimeout`, ms: a silent connection is found within 5 s (7.5 s idle). */
export const COMMAND_TIMEOUT = 5000;

/**
 * Connection settings for `redis://[[user]:password@]host[:port][/db]` or `rediss://…`.
 *
 * @throws {TypeError} when the URL is not a redis: or rediss: URL, or its database is not
 * a non-negative integer
 */
export function connectionSettings(
  url: string,
  options: { tls?: ConnectionOptions; commandTimeout?: number } = {},
): ClientSettings {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TypeError(
      `Cannot open the Redis store as the URL is malformed: current value is ${url}`,
    );
  }
  if (parsed.protocol !== "redis:" && parsed.protocol !== "rediss:") {
    throw new TypeError(
      `Cannot open the Redis store as the URL must start with redis:// or rediss://: current value is ${url}`,
    );
  }
  const db = parsed.pathname.length > 1 ? Number(parsed.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0) {
    throw new TypeError(
      `Cannot open the Redis store as the database must be a non-negative integer: current value is ${
        parsed.pathname.slice(1)
      }`,
    );
  }
  const host = parsed.hostname.replace(/^\[|\]$/g, "") || "127.0.0.1";
  const settings: ClientSettings = {
    scheme: parsed.protocol === "rediss:" ? "rediss" : "redis",
    host,
    port: parsed.port ? Number(parsed.port) : 6379,
    db,
    name: "kinetik",
    retriesPerCommand: RETRIES_PER_COMMAND,
    // Keep reconnecting for as long as the store is open, backing off to one try a second.
    retryDelay: (times: number) => Math.min(times * 100, 1000),
    connectTimeout: CONNECT_TIMEOUT,
    commandTimeout: options.commandTimeout ?? COMMAND_TIMEOUT,
  };
  if (parsed.username) settings.username = decodeURIComponent(parsed.username);
  if (parsed.password) settings.password = decodeURIComponent(parsed.password);
  if (parsed.protocol === "rediss:") {
    // SNI carries host names only (RFC 6066); the certificate is still checked against an IP.
    settings.tls = isIP(host) ? { ...options.tls } : { servername: host, ...options.tls };
  }
  return settings;
}
