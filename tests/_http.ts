/**
 * Test helpers for the HTTP API: a real server on a free loopback port (through
 * `http/_server.ts`, so Deno.serve under Deno and Bun.serve under Bun), JSON requests, and a
 * Server-Sent Events reader that parses the stream as a browser's EventSource would. @module
 */

import type { Queue } from "../src/queue.ts";
import { httpHandler, type HttpOptions } from "../http/mod.ts";
import { listen } from "../http/_server.ts";

/** A running API server for one test. */
export interface TestApi {
  /** The server's origin with the base path, e.g. `http://127.0.0.1:40123`. */
  base: string;
  /** Fetches `path` (relative to `base`) with a JSON body when `json` is given. */
  call(path: string, init?: RequestInit & { json?: unknown; token?: string }): Promise<Response>;
  /** Ends event streams, stops the server (its requests finish first). */
  close(): Promise<void>;
}

/** Serves `httpHandler(queue, options)` on 127.0.0.1 and a free port. */
export async function serveApi(queue: Queue, options: HttpOptions = {}): Promise<TestApi> {
  const closing = new AbortController();
  const handler = httpHandler(queue, { signal: closing.signal, ...options });
  const server = await listen(handler, { hostname: "127.0.0.1", port: 0 });
  const base = server.url.origin + (options.basePath ?? "");
  return {
    base,
    call(path, { json, token, headers, ...init } = {}) {
      const all = new Headers(headers);
      if (json !== undefined) all.set("content-type", "application/json");
      if (token !== undefined) all.set("authorization", `Bearer ${token}`);
      return fetch(base + path, {
        ...init,
        method: init.method ?? (json === undefined ? "GET" : "POST"),
        headers: all,
        body: json === undefined ? init.body : JSON.stringify(json),
      });
    },
    async close() {
      closing.abort();
      await server.shutdown();
    },
  };
}

/** Reads a response's JSON, asserting the status and content type first. */
export async function jsonOf<T = unknown>(response: Response, status: number): Promise<T> {
  const text = await response.text();
  if (response.status !== status) {
    throw new Error(`expected status ${status}, got ${response.status}: ${text}`);
  }
  const type = response.headers.get("content-type") ?? "";
  const expected = status >= 400 ? "application/problem+json" : "application/json";
  if (!type.startsWith(expected)) throw new Error(`expected ${expected}, got ${type}: ${text}`);
  return JSON.parse(text) as T;
}

/** One frame of an event stream: an event (type and parsed data) or a comment. */
export type SseFrame = { event: string; data: unknown } | { comment: string };

/**
 * Parses a `text/event-stream` body frame by frame (blank-line separated; `event:`, `data:`
 * and `:` comment lines), and waits for frames with a timeout, so a missing event fails the
 * test instead of hanging it.
 */
export class SseReader {
  #reader: ReadableStreamDefaultReader<string>;
  #buffer = "";
  #frames: SseFrame[] = [];

  /** Reads `response`'s body. */
  constructor(response: Response) {
    if (!response.body) throw new Error("the event stream has no body");
    this.#reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  }

  /** The next frame, or an error after `timeoutMs`; `undefined` when the stream ended. */
  async next(timeoutMs = 5_000): Promise<SseFrame | undefined> {
    const deadline = Date.now() + timeoutMs;
    while (this.#frames.length === 0) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no event stream frame within ${timeoutMs} ms`)),
          Math.max(0, deadline - Date.now()),
        );
      });
      const { done, value } = await Promise.race([this.#reader.read(), timeout]).finally(() =>
        clearTimeout(timer)
      );
      if (done) return undefined;
      this.#buffer += value;
      this.#parse();
    }
    return this.#frames.shift();
  }

  /** The next event (skipping comments) of type `type` when given. */
  async nextEvent(type?: string, timeoutMs = 5_000): Promise<{ event: string; data: unknown }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const frame = await this.next(Math.max(1, deadline - Date.now()));
      if (frame === undefined) throw new Error("the event stream ended");
      if ("event" in frame && (type === undefined || frame.event === type)) return frame;
    }
  }

  /** Cancels the stream (the client goes away). */
  async cancel(): Promise<void> {
    await this.#reader.cancel().catch(() => {});
  }

  #parse(): void {
    for (;;) {
      const end = this.#buffer.indexOf("\n\n");
      if (end < 0) return;
      const block = this.#buffer.slice(0, end);
      this.#buffer = this.#buffer.slice(end + 2);
      let event = "message";
      const data: string[] = [];
      for (const line of block.split("\n")) {
        if (line.startsWith(":")) this.#frames.push({ comment: line.slice(1).trim() });
        else if (line.startsWith("event:")) event = line.slice(6).trim();
        else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
      }
      if (data.length > 0) this.#frames.push({ event, data: JSON.parse(data.join("\n")) });
    }
  }
}

/** Waits until `check()` holds, polling every few ms, failing after `timeoutMs`. */
export async function eventually(
  check: () => boolean,
  what: string,
  timeoutMs = 5_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
