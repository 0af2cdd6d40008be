/**
 * `kinetik serve`: the queue's HTTP API (`@kinetik/kinetik/http`) and its dashboard on a port
 * until Ctrl-C. Without a token it listens on loopback only, and refuses any other host:
 * anyone who could reach the port could run, cancel and remove jobs. @module
 */

import type { Queue } from "../queue.ts";
import { getEnv } from "../runtime.ts";
import { integerOption, UsageError } from "./_args.ts";
import type { Command } from "./_command.ts";
import { inStore } from "./_command.ts";

/** What `serve` needs from `http/`, loaded at run time (`src/` names no HTTP module). */
export interface HttpServing {
  /** Serves the queue's API; see `http/_serve_queue.ts`. */
  serveQueue(queue: Queue, options: {
    hostname: string;
    port: number;
    token?: string;
    readOnly?: boolean;
    hosts?: string[];
  }): Promise<{ url: URL; shutdown(): Promise<void> }>;
}

/** Imports `specifier` at run time (see `LAZY_DRIVER_STORES` in `src/open_store.ts`: why a variable). */
function importLater<T>(specifier: string): Promise<T> {
  return import(specifier);
}

/** `http/` imported when `serve` runs; the binary passes a literal import a bundler follows. */
export const LAZY_HTTP = (): Promise<HttpServing> => importLater("../../http/_serve_queue.ts");

/** Whether `host` is a loopback address or name: 127.0.0.0/8, ::1, localhost. */
export function isLoopback(host: string): boolean {
  return /^127(\.\d{1,3}){3}$/.test(host) || host === "::1" || host === "[::1]" ||
    host.toLowerCase() === "localhost";
}

/** The `serve` command. */
export const serveCommand: Command = {
  name: "serve",
  summary: "Serve the dashboard and the HTTP API (jobs, events, OpenAPI) until Ctrl-C",
  usage: "",
  options: {
    port: { type: "string" },
    host: { type: "string" },
    token: { type: "string" },
    "read-only": { type: "boolean" },
  },
  optionHelp: [
    ["--port N", "port to listen on (default 8080; 0 picks a free one)"],
    ["--host H", "address to bind (default 127.0.0.1; another needs a token)"],
    ["--token T", "require Authorization: Bearer T (default KINETIK_TOKEN)"],
    ["--read-only", "answer 403 to every write"],
  ],
  examples: [
    ["serve", "the dashboard at http://127.0.0.1:8080/, for this machine only"],
    ["serve --host 0.0.0.0 --token s3cret", "for the network, with a token"],
    ["serve --read-only --port 9000", "look, don't touch"],
  ],
  maxPositionals: 0,
  createsStore: true,
  async run(context, { values }) {
    const port = integerOption("port", values.port, 0) ?? 8080;
    if (port > 65_535) {
      throw new UsageError(`--port must be an integer <= 65535: current value is "${port}"`);
    }
    const hostname = String(values.host ?? "127.0.0.1").replace(/^\[(.*)\]$/, "$1");
    const token = values.token === undefined ? getEnv("KINETIK_TOKEN") : String(values.token);
    if (token === "") throw new UsageError("--token must not be empty (nor KINETIK_TOKEN)");
    if (token === undefined && !isLoopback(hostname)) {
      throw new UsageError(
        `refusing to serve on ${hostname} without a token: anyone who can reach it could run, ` +
          `cancel and remove jobs; pass --token T (or set KINETIK_TOKEN), or use a loopback ` +
          `host such as 127.0.0.1`,
      );
    }
    const http = await (context.loadHttp ?? LAZY_HTTP)();
    const served = await http.serveQueue(context.queue, {
      hostname,
      port,
      token,
      readOnly: values["read-only"] === true,
      // Without a token, only requests naming a loopback host: no DNS rebinding.
      hosts: token === undefined
        ? [...new Set(["127.0.0.1", "localhost", "::1", hostname])]
        : undefined,
    });
    const mode = [
      token === undefined ? "no token, loopback only" : "bearer token required",
      ...values["read-only"] ? ["read-only"] : [],
    ].join(", ");
    context.out(`Serving the Kinetik API at ${served.url.href}\n`);
    context.note(
      `${served.url.href} is the dashboard, ${served.url.href}api/openapi.json describes the API (${mode})${
        inStore(context)
      }; Ctrl-C stops\n`,
    );
    if (!context.signal.aborted) {
      await new Promise((resolve) =>
        context.signal.addEventListener("abort", resolve, { once: true })
      );
    }
    context.note("Stopping: open event streams end, requests in flight finish\n");
    await served.shutdown();
  },
};
