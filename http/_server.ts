/**
 * Serving a fetch handler on a port: `Deno.serve` under Deno, `Bun.serve` under Bun. The one
 * place in `http/` that names a runtime; `kinetik serve` and the tests go through it. @module
 */

/** What {@linkcode listen} needs. */
export interface ListenOptions {
  /** The address to bind, e.g. `127.0.0.1`. */
  hostname: string;
  /** The port; 0 picks a free one. */
  port: number;
}

/** A running server. */
export interface RunningServer {
  /** Where it listens, e.g. `http://127.0.0.1:8080/`. */
  url: URL;
  /**
   * Stops accepting connections and resolves once the requests in flight have finished, or
   * after `graceMs` (default 5 s). An event stream never finishes by itself: end it first,
   * e.g. with `HttpOptions.signal`.
   */
  shutdown(graceMs?: number): Promise<void>;
}

interface BunServer {
  port: number;
  stop(closeActiveConnections?: boolean): Promise<void> | void;
}
interface BunRuntime {
  serve(options: {
    hostname: string;
    port: number;
    fetch: (request: Request) => Promise<Response>;
    idleTimeout?: number;
  }): BunServer;
}

function bun(): BunRuntime | undefined {
  return (globalThis as { Bun?: BunRuntime }).Bun;
}

/** Whether `promise` settles within `ms` (it is left running either way). */
async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<false>((resolve) => timer = setTimeout(() => resolve(false), ms));
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A URL host for an address: IPv6 addresses go in brackets. */
function urlHost(hostname: string, port: number): string {
  return `${hostname.includes(":") ? `[${hostname}]` : hostname}:${port}`;
}

/**
 * Serves `handler` on `hostname:port`; resolves once it listens.
 *
 * Under Bun the idle timeout is off: Bun.serve's default (10 s) would cut an event stream
 * between two heartbeats.
 */
export async function listen(
  handler: (request: Request) => Promise<Response>,
  { hostname, port }: ListenOptions,
): Promise<RunningServer> {
  const runtime = bun();
  if (runtime) {
    const server = runtime.serve({ hostname, port, fetch: handler, idleTimeout: 0 });
    return {
      url: new URL(`http://${urlHost(hostname, server.port)}/`),
      // Stops listening and lets requests in flight finish (end event streams first); an
      // idle keep-alive connection would hold that up forever, so after the grace it closes
      // whatever is left.
      shutdown: async (graceMs = 5_000) => {
        if (!await within(Promise.resolve(server.stop(false)), graceMs)) await server.stop(true);
      },
    };
  }
  const { promise: listening, resolve } = Promise.withResolvers<number>();
  const server = Deno.serve({
    hostname,
    port,
    onListen: (address) => resolve((address as Deno.NetAddr).port),
  }, handler);
  const actual = await listening;
  return {
    url: new URL(`http://${urlHost(hostname, actual)}/`),
    // Deno closes idle connections itself; after the grace it stops waiting for the rest.
    shutdown: async (graceMs = 5_000) => {
      await within(server.shutdown(), graceMs);
    },
  };
}
