/**
 * The Redis client's socket on Deno: a `Deno.TcpConn` read into one reused buffer, with
 * writes chained so each completes before the next. Private to the Redis store. @module
 */

import type { Connector, Socket, SocketEvents } from "./_socket.ts";

/** The part of `Deno.TcpConn` used here (the file also type-checks without Deno's types). */
interface DenoConn {
  read(buffer: Uint8Array): Promise<number | null>;
  write(bytes: Uint8Array): Promise<number>;
  close(): void;
  setNoDelay(noDelay?: boolean): void;
  setKeepAlive(keepAlive?: boolean): void;
}

const deno = (globalThis as {
  Deno?: {
    connect(options: { hostname: string; port: number; signal: AbortSignal }): Promise<DenoConn>;
  };
}).Deno;

const encoder = new TextEncoder();

/** Connects with `Deno.connect`. */
export async function connectDeno(
  options: Parameters<Connector>[0],
  signal: AbortSignal,
  events: SocketEvents,
): Promise<Socket> {
  const conn = await deno!.connect({
    hostname: options.host,
    port: options.port,
    signal,
  });
  conn.setNoDelay(true);
  conn.setKeepAlive(true);
  return new DenoSocket(conn, events);
}

/** A `Deno.TcpConn`: one read loop, and writes chained so each completes before the next. */
class DenoSocket implements Socket {
  #conn: DenoConn;
  #events: SocketEvents;
  #isClosed = false;
  #reading: Promise<void>;
  #writing: Promise<void> | undefined;
  #queued: string[] = [];

  constructor(conn: DenoConn, events: SocketEvents) {
    this.#conn = conn;
    this.#events = events;
    this.#reading = this.#read();
  }

  write(text: string): void {
    this.#queued.push(text);
    this.#writing ??= this.#flush();
  }

  async close(): Promise<void> {
    this.#end();
    await this.#reading;
    await this.#writing;
  }

  async #read(): Promise<void> {
    const buffer = new Uint8Array(64 * 1024);
    try {
      for (;;) {
        const count = await this.#conn.read(buffer);
        if (count === null) return this.#lost();
        if (this.#isClosed) return;
        this.#events.onData(buffer.subarray(0, count));
      }
    } catch (error) {
      this.#lost(error as Error);
    }
  }

  async #flush(): Promise<void> {
    try {
      while (this.#queued.length > 0 && !this.#isClosed) {
        const text = this.#queued.length === 1 ? this.#queued[0] : this.#queued.join("");
        this.#queued.length = 0;
        const bytes = encoder.encode(text);
        for (let sent = 0; sent < bytes.length;) {
          sent += await this.#conn.write(sent === 0 ? bytes : bytes.subarray(sent));
        }
      }
    } catch (error) {
      this.#lost(error as Error);
    } finally {
      this.#writing = undefined;
    }
  }

  #lost(error?: Error): void {
    if (this.#isClosed) return;
    this.#end();
    this.#events.onClose(error);
  }

  #end(): void {
    if (this.#isClosed) return;
    this.#isClosed = true;
    try {
      this.#conn.close();
    } catch {
      // Closed already.
    }
  }
}
