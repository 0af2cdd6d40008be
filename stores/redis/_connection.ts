/**
 * ioredis settings from a Redis URL. Parsed here rather than by ioredis because ioredis
 * ignores the `rediss:` scheme (no TLS) and accepts malformed URLs silently. @module
 */

import type { Cluster, Redis, RedisOptions } from "ioredis";
import { isIP } from "node:net";
import type { ConnectionOptions } from "node:tls";

/** A connection the store can use: one Redis, or a Redis Cluster. */
export type RedisClient = Redis | Cluster;

/** Reconnect attempts a command waits through before it rejects. */
const RETRIES_PER_COMMAND = 3;

/**
 * Connection settings for `redis://[[user]:password@]host[:port][/db]` or `rediss://…`.
 *
 * @throws {TypeError} when the URL is not a redis: or rediss: URL, or its database is not
 * a non-negative integer
 */
export function connectionOptions(url: string, tls?: ConnectionOptions): RedisOptions {
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
  const options: RedisOptions = {
    host,
    port: parsed.port ? Number(parsed.port) : 6379,
    db,
    connectionName: "kinetik",
    maxRetriesPerRequest: RETRIES_PER_COMMAND,
    // A script in flight when the connection drops may have run: resending it could add a
    // job twice. The caller gets the error instead (processors retry; settles are fenced).
    autoResendUnfulfilledCommands: false,
    // Keep reconnecting for as long as the store is open, backing off to one try a second.
    retryStrategy: (times: number) => Math.min(times * 100, 1000),
  };
  if (parsed.username) options.username = decodeURIComponent(parsed.username);
  if (parsed.password) options.password = decodeURIComponent(parsed.password);
  if (parsed.protocol === "rediss:") {
    // SNI carries host names only (RFC 6066); the certificate is still checked against an IP.
    options.tls = isIP(host) ? { ...tls } : { servername: host, ...tls };
  }
  return options;
}
