/**
 * What every route group gets: the queue, and the few settings routes read. @module
 */

import type { Hono } from "hono";
import type { Queue } from "../src/queue.ts";

/** The Hono app every route group adds its routes to. */
export type App = Hono;

/** The queue and the settings of one handler. */
export interface ApiContext {
  /** The queue the API drives. */
  queue: Queue;
  /** The prefix of every route, `""` or like `/kinetik`. */
  basePath: string;
  /** Milliseconds between two heartbeat comments of an event stream. */
  heartbeatMs: number;
  /** Aborts when the server shuts down: event streams end. */
  closing?: AbortSignal;
}
