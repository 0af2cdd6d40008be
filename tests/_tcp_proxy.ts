/**
 * A TCP proxy for the tests, on a free port, that can stop forwarding without closing: what
 * a dropped route or a firewall that drops packets does to a connection. Each side's bytes
 * are held while frozen and delivered on `thaw()` (as TCP retransmits once a route is back).
 * A side that closes closes its other side. `node:net`, so Deno and Bun run it alike.
 * @module
 */

import { connect, createServer, type Socket } from "node:net";
import { freePort } from "./_redis_server.ts";

/** A running proxy. */
export interface TcpProxy {
  /** Where it listens on 127.0.0.1. */
  port: number;
  /** Connections accepted so far. */
  readonly accepted: number;
  /** Connections open now. */
  readonly open: number;
  /**
   * Stops forwarding, in both directions, on every connection, new ones included, except
   * those in `spared` (numbered from 1 in the order they were accepted).
   */
  freeze(spared?: readonly number[]): void;
  /** Forwards again, what was held first. */
  thaw(): void;
  /** Closes every connection and the listener. */
  close(): Promise<void>;
}

/** One direction of a connection: forwards chunks, or holds them while frozen. */
function forward(from: Socket, to: Socket, isFrozen: () => boolean, held: Uint8Array[]): void {
  from.on("data", (chunk: Uint8Array) => {
    if (isFrozen()) held.push(chunk);
    else to.write(chunk);
  });
}

/** Starts a proxy to `port` on 127.0.0.1. */
export async function tcpProxy(port: number): Promise<TcpProxy> {
  let isFrozen = false;
  let spared: readonly number[] = [];
  let accepted = 0;
  const pairs = new Set<{ client: Socket; upstream: Socket; held: [Uint8Array[], Uint8Array[]] }>();
  const server = createServer((client) => {
    const number = ++accepted;
    const upstream = connect({ host: "127.0.0.1", port });
    const pair = { client, upstream, held: [[], []] as [Uint8Array[], Uint8Array[]] };
    pairs.add(pair);
    const isHeld = () => isFrozen && !spared.includes(number);
    forward(client, upstream, isHeld, pair.held[0]);
    forward(upstream, client, isHeld, pair.held[1]);
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    for (const socket of [client, upstream]) {
      socket.on("error", () => {}); // Reported by the close that follows.
      socket.on("close", end);
    }
  });
  const listening = await freePort();
  await new Promise<void>((resolve) => server.listen(listening, "127.0.0.1", resolve));
  return {
    port: listening,
    get accepted() {
      return accepted;
    },
    get open() {
      return pairs.size;
    },
    freeze(except = []) {
      isFrozen = true;
      spared = except;
    },
    thaw() {
      isFrozen = false;
      for (const { client, upstream, held: [up, down] } of pairs) {
        for (const chunk of up.splice(0)) upstream.write(chunk);
        for (const chunk of down.splice(0)) client.write(chunk);
      }
    },
    async close() {
      for (const { client, upstream } of pairs) {
        client.destroy();
        upstream.destroy();
      }
      pairs.clear();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
