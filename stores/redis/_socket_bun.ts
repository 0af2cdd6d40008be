/**
 * The Redis client's socket on Bun: a `Bun.connect` socket, whose bytes the kernel did not
 * take wait for its `drain`. Private to the Redis store. @module
 */

import type { Connector, Socket, SocketEvents } from "./_socket.ts";
import { concatBytes } from "./_resp.ts";

const bun = (globalThis as {
  Bun?: { connect(options: BunConnectOptions): Promise<BunSocket> };
}).Bun;

const encoder = new TextEncoder();

interface BunSocket {
  write(data: string | Uint8Array): number;
  setNoDelay(noDelay?: boolean): void;
  /** Missing before Bun 1.1.x. */
  setKeepAlive?(enable: boolean, initialDelay: number): boolean;
  terminate(): void;
}

interface BunConnectOptions {
  hostname: string;
  port: number;
  socket: {
    data(socket: BunSocket, data: Uint8Array): void;
    drain(socket: BunSocket): void;
    close(socket: BunSocket, error?: Error): void;
    error(socket: BunSocket, error: Error): void;
    connectError(socket: BunSocket, error: Error): void;
  };
}

/** Connects with `Bun.connect`. */
export async function connectBun(
  options: Parameters<Connector>[0],
  signal: AbortSignal,
  events: SocketEvents,
): Promise<Socket> {
  let socket: BunSocket | undefined;
  let onDrain = () => {};
  let onClose = (_error?: Error) => {};
  const connecting = bun!.connect({
    hostname: options.host,
    port: options.port,
    socket: {
      data: (_, data) => events.onData(data),
      drain: () => onDrain(),
      close: (_, error) => onClose(error),
      error: (_, error) => onClose(error),
      connectError: () => {}, // connect() rejects with it.
    },
  });
  try {
    socket = await Promise.race([connecting, aborted(signal)]);
  } catch (error) {
    connecting.then((late) => late.terminate(), () => {});
    throw error;
  }
  socket.setNoDelay(true);
  socket.setKeepAlive?.(true, options.keepAliveDelay);
  const transport = new BunSocketTransport(socket, events);
  onDrain = () => transport.drain();
  onClose = (error) => transport.lost(error);
  return transport;
}

/** A `Bun.connect` socket: what the kernel did not take waits for `drain`. */
class BunSocketTransport implements Socket {
  #socket: BunSocket;
  #events: SocketEvents;
  #isClosed = false;
  #unsent: Uint8Array | undefined;

  constructor(socket: BunSocket, events: SocketEvents) {
    this.#socket = socket;
    this.#events = events;
  }

  write(text: string): void {
    if (this.#isClosed) return;
    if (this.#unsent) {
      this.#unsent = concatBytes(this.#unsent, encoder.encode(text));
      return;
    }
    const bytes = encoder.encode(text);
    const sent = this.#socket.write(bytes);
    if (sent < bytes.length) this.#unsent = bytes.subarray(Math.max(0, sent));
  }

  drain(): void {
    const unsent = this.#unsent;
    if (!unsent || this.#isClosed) return;
    const sent = this.#socket.write(unsent);
    this.#unsent = sent < unsent.length ? unsent.subarray(Math.max(0, sent)) : undefined;
  }

  lost(error?: Error): void {
    if (this.#isClosed) return;
    this.close();
    this.#events.onClose(error);
  }

  close(): Promise<void> {
    if (!this.#isClosed) {
      this.#isClosed = true;
      this.#unsent = undefined;
      this.#socket.terminate();
    }
    return Promise.resolve();
  }
}

/** Rejects with the abort reason once `signal` aborts, for connects that take no signal. */
function aborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener("abort", () => reject(signal.reason), { once: true });
  });
}
