/**
 * The Redis client's socket through `node:net`, or `node:tls` for TLS on every runtime.
 * Private to the Redis store. @module
 */

import { connect as netConnect, type Socket as NetSocket } from "node:net";
import { connect as tlsConnect } from "node:tls";
import type { Connector, Socket, SocketEvents } from "./_socket.ts";

/** Connects with `node:net`, or `node:tls` when `options.tls` is set. */
export function connectNode(
  options: Parameters<Connector>[0],
  signal: AbortSignal,
  events: SocketEvents,
): Promise<Socket> {
  const socket = options.tls
    ? tlsConnect({ host: options.host, port: options.port, ...options.tls })
    : netConnect({ host: options.host, port: options.port });
  socket.setNoDelay(true);
  // Listened to for the socket's whole life: an 'error' without a listener would crash.
  let lastError: Error | undefined;
  socket.on("error", (error: Error) => lastError = error);
  return new Promise((resolve, reject) => {
    const fail = (error?: Error) => {
      signal.removeEventListener("abort", abort);
      socket.off("close", closed);
      socket.destroy();
      reject(error ?? lastError ?? new Error("Connection to Redis closed while connecting"));
    };
    const abort = () => fail(signal.reason);
    const closed = () => fail();
    signal.addEventListener("abort", abort, { once: true });
    socket.once("close", closed);
    socket.once(options.tls ? "secureConnect" : "connect", () => {
      // Set once connected: Node ignores keepalive on a socket that is still connecting.
      socket.setKeepAlive(true, options.keepAliveDelay);
      signal.removeEventListener("abort", abort);
      socket.off("close", closed);
      resolve(new NodeSocket(socket, events, () => lastError));
    });
  });
}

/** A `node:net` or `node:tls` socket. */
class NodeSocket implements Socket {
  #socket: NetSocket;
  #isClosed = false;
  #closed: Promise<void>;

  /** @param lastError the socket's latest 'error', reported with its 'close' */
  constructor(socket: NetSocket, events: SocketEvents, lastError: () => Error | undefined) {
    this.#socket = socket;
    socket.on("data", (chunk: Uint8Array) => {
      if (!this.#isClosed) events.onData(chunk);
    });
    this.#closed = new Promise((resolve) =>
      socket.once("close", () => {
        resolve();
        if (this.#isClosed) return;
        this.#isClosed = true;
        events.onClose(lastError());
      })
    );
  }

  write(text: string): void {
    if (!this.#isClosed) this.#socket.write(text);
  }

  async close(): Promise<void> {
    if (!this.#isClosed) {
      this.#isClosed = true;
      this.#socket.destroy();
    }
    await this.#closed;
  }
}
