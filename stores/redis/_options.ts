/**
 * The Redis store's options: their type, their checks, and how the connections they ask for
 * are opened. @module
 */

import type { ConnectionOptions } from "node:tls";
import { parseDuration } from "../../src/duration.ts";
import {
  COMMAND_TIMEOUT,
  connectionSettings,
  type RedisClient,
  type RedisConnection,
} from "./_connection.ts";
import { type ClientSettings, RespClient } from "./_client.ts";
import { IoredisConnection } from "./_ioredis.ts";
import { baseKey } from "./_keys.ts";

/** How to reach Redis and which queue to use there. */
export interface RedisStoreOptions {
  /**
   * `redis://[[user]:password@]host[:port][/db][?prefix=…&maxFinished=…&commandTimeout=…]`, or
   * `rediss://…` for TLS. The query sets the options of the same names (which win when
   * given too), so a URL alone, as `openStore()` and the CLI take it, can say everything.
   * @default {"redis://127.0.0.1:6379"}
   */
  url?: string;
  /**
   * Names the queue: its keys are `{kinetik:<prefix>}:…`. Stores with different prefixes
   * on one Redis never see each other's jobs.
   * @default {"default"}
   */
  prefix?: string;
  /**
   * An ioredis client to use instead of `url`, e.g. a `Cluster`; `close()` leaves it open
   * for its owner (the store duplicates it for its pub/sub connection, and closes that).
   */
  client?: RedisClient;
  /** Extra TLS options for `rediss://`, e.g. `{ ca }` for a private certificate authority. */
  tls?: ConnectionOptions;
  /**
   * Keep at most this many completed jobs: as more complete, the oldest are deleted with
   * their logs at once, as the queue's `retention: { completed: { count } }` (the
   * store-neutral way) would delete them at its next sweep. Failed, timed-out and cancelled
   * jobs follow the queue's `retention`. `queue.clean()` removes finished jobs on demand
   * either way.
   * @default {Infinity}
   */
  maxFinished?: number;
  /**
   * How long a connection opened from `url` may stay silent while a command waits for its
   * reply (ms, or a string like `"5s"`): then it counts as dead, like a closed one. Its
   * commands reject with a `StoreError` (they may have run) and it reconnects. Idle
   * connections, the pub/sub one among them, are probed with a PING after half this time of
   * silence, so a dead one is found within one and a half times it; a command issued while
   * Redis is unreachable rejects after it at the latest. Keep it above the longest script
   * Redis runs for the store on a busy server. An ioredis `client` passed in keeps its own
   * settings.
   * @default {5000}
   */
  commandTimeout?: number | string;
}

/**
 * Opens the store's own connections for a URL: the lean client. An object with a writable
 * field, not a constant, for one caller: `bench:peers` swaps in a node-redis connection
 * (`bench/peers/adapters/`) to measure that client against this one on the same store.
 */
export const urlConnections = {
  open: (settings: ClientSettings): RedisConnection => new RespClient(settings),
};

/** What the store keeps of its options. */
export interface ResolvedOptions {
  /** `{kinetik:<prefix>}:` */
  base: string;
  /** The retention limit for the scripts; -1 for none. */
  maxFinished: number;
  /** Ms of silence that make the store's own connections count as dead (see the option). */
  commandTimeout: number;
  /** The connection for commands: the store's own for a URL, else the client passed in. */
  client: RedisConnection;
  /** Opens a connection of the store's own, for pub/sub. */
  open: () => RedisConnection;
}

/**
 * Checks the options and, for a URL, starts connecting in the background.
 *
 * @throws {TypeError} when the URL, the prefix or `commandTimeout` is malformed
 * @throws {RangeError} when `maxFinished` is not a whole number of at least 0, or
 * `commandTimeout` is not above 0
 */
export function resolveOptions(options: RedisStoreOptions): ResolvedOptions {
  const query = urlQuery(options.url);
  const base = baseKey(options.prefix ?? query.get("prefix") ?? "default");
  const limit = query.get("maxFinished");
  const { maxFinished = limit === null ? Infinity : Number(limit), client } = options;
  if (!(maxFinished === Infinity || (Number.isInteger(maxFinished) && maxFinished >= 0))) {
    throw new RangeError(
      `Cannot open the Redis store as maxFinished must be a whole number: current value is ${
        options.maxFinished ?? limit
      }`,
    );
  }
  const commandTimeout = readCommandTimeout(options.commandTimeout ?? query.get("commandTimeout"));
  let open: () => RedisConnection;
  if (client) {
    open = () => IoredisConnection.duplicate(client);
  } else {
    const url = options.url ?? "redis://127.0.0.1:6379";
    const settings = connectionSettings(url, { tls: options.tls, commandTimeout });
    open = () => urlConnections.open(settings);
  }
  return {
    base,
    maxFinished: maxFinished === Infinity ? -1 : maxFinished,
    commandTimeout,
    client: client ? new IoredisConnection(client, { isOwned: false }) : open(),
    open,
  };
}

/** The longest timer delay there is (about 24.8 days). */
const MAX_TIMEOUT = 2 ** 31 - 1;

/**
 * `commandTimeout` in ms: the option, else the URL's query, else the default.
 *
 * @throws {TypeError} when it is not a duration
 * @throws {RangeError} when it is not above 0, or beyond what a timer can wait
 */
function readCommandTimeout(value: number | string | null): number {
  if (value === null) return COMMAND_TIMEOUT;
  const millis = parseDuration(value, "the Redis store's commandTimeout");
  if (millis <= 0 || millis > MAX_TIMEOUT) {
    throw new RangeError(
      `Cannot open the Redis store as commandTimeout must be above 0 and at most ${MAX_TIMEOUT} ms: current value is ${
        typeof value === "string" ? JSON.stringify(value) : value
      }`,
    );
  }
  return millis;
}

/** The query of a URL that parses (a malformed one is reported by `connectionSettings`). */
function urlQuery(url: string | undefined): URLSearchParams {
  try {
    return new URL(url ?? "redis://127.0.0.1:6379").searchParams;
  } catch {
    return new URLSearchParams();
  }
}
