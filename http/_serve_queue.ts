/**
 * A queue's HTTP API on a port, as `kinetik serve` runs it: the handler, the server, and a
 * shutdown that ends event streams before waiting for the other requests. Loaded by the CLI
 * at run time (`src/cli/serve.ts`), so the core never imports `http/`. @module
 */

import type { Queue } from "../src/queue.ts";
import { httpHandler, type HttpOptions } from "./http_handler.ts";
import { listen } from "./_server.ts";

/** What {@linkcode serveQueue} needs. */
export interface ServeQueueOptions extends Omit<HttpOptions, "signal"> {
  /** The address to bind. */
  hostname: string;
  /** The port; 0 picks a free one. */
  port: number;
}

/** A served API. */
export interface ServedQueue {
  /** Where it listens. */
  url: URL;
  /** Ends the event streams, then stops the server once its other requests are done. */
  shutdown(): Promise<void>;
}

/** Serves `queue`'s API on `hostname:port`; resolves once it listens. */
export async function serveQueue(queue: Queue, options: ServeQueueOptions): Promise<ServedQueue> {
  const { hostname, port, ...http } = options;
  const closing = new AbortController();
  const server = await listen(httpHandler(queue, { ...http, signal: closing.signal }), {
    hostname,
    port,
  });
  return {
    url: server.url,
    async shutdown() {
      closing.abort();
      await server.shutdown();
    },
  };
}
