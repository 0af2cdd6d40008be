/**
 * The Redis client's transport, the one place that names a runtime: plain TCP goes through
 * `Deno.connect` on Deno and `Bun.connect` on Bun, whose sockets cost the least per round trip
 * (a sequential EVALSHA takes about 48 µs on `Deno.connect` against 65 on `node:net`, 44 on
 * `Bun.connect` against 56); `node:net` serves any other runtime, and `node:tls` serves TLS
 * everywhere (its speed is not a goal). Private to the Redis store. @module
 */

import type { ConnectionOptions } from "node:tls";
import { connectBun } from "./_socket_bun.ts";
import { connectDeno } from "./_socket_deno.ts";
import { connectNode } from "./_socket_node.ts";

/**
 * Idle milliseconds before TCP keepalive probes start, where the runtime takes a delay
 * (`node:net`, Bun; Deno uses the system's). The client's own PING finds a silent connection
 * sooner; keepalive also keeps NAT and firewall state of an idle connection alive.
 */
const KEEPALIVE_DELAY = 10_000;

/** Where to connect. */
export interface SocketOptions {
  host: string;
  port: number;
  /** TLS options for `node:tls`; plain TCP when absent. */
  tls?: ConnectionOptions;
  /** Give up connecting after this many milliseconds. */
  connectTimeout: number;
  /** Aborts connecting. */
  signal: AbortSignal;
}

/** What a socket reports. */
export interface SocketEvents {
  /** Bytes received. The buffer may be reused once this returns. */
  onData(chunk: Uint8Array): void;
  /** The peer or the network closed the socket (not called after `close()`). */
  onClose(error?: Error): void;
}

/** An open connection, with TCP_NODELAY and TCP keepalive on. */
export interface Socket {
  /** Sends `text` as UTF-8, after whatever was written before. */
  write(text: string): void;
  /** Closes at once; settles when no read, write or callback of this socket is left pending. */
  close(): Promise<void>;
}

/**
 * Where and how one runtime connects; `signal` aborts on timeout or on `options.signal`, and
 * `keepAliveDelay` is the idle time before TCP keepalive probes, for runtimes that take one.
 */
export type Connector = (
  options: SocketOptions & { keepAliveDelay: number },
  signal: AbortSignal,
  events: SocketEvents,
) => Promise<Socket>;

const runtime = globalThis as { Deno?: unknown; Bun?: unknown };

/**
 * Opens a socket to Redis.
 *
 * @throws {Error} when the connection is refused, times out or is aborted
 */
export async function openSocket(options: SocketOptions, events: SocketEvents): Promise<Socket> {
  if (options.signal.aborted) throw options.signal.reason;
  const connect: Connector = options.tls
    ? connectNode
    : runtime.Deno
    ? connectDeno
    : runtime.Bun
    ? connectBun
    : connectNode;
  const limit = new AbortController();
  const abort = () => limit.abort(options.signal.reason);
  options.signal.addEventListener("abort", abort, { once: true });
  const timer = setTimeout(
    () => limit.abort(new Error(`Cannot connect to Redis as ${options.connectTimeout} ms passed`)),
    options.connectTimeout,
  );
  try {
    return await connect({ ...options, keepAliveDelay: KEEPALIVE_DELAY }, limit.signal, events);
  } finally {
    clearTimeout(timer);
    options.signal.removeEventListener("abort", abort);
  }
}
