/**
 * Who may do what: the bearer token (compared in constant time), read-only mode, and the
 * checks that keep a web page on another site from using an API on this machine. @module
 */

import { HttpProblem } from "./_problem.ts";

/** Methods that change nothing. */
const READS: ReadonlySet<string> = new Set(["GET", "HEAD", "OPTIONS"]);

/** Whether `method` writes (anything but GET, HEAD and OPTIONS). */
export function isWrite(method: string): boolean {
  return !READS.has(method.toUpperCase());
}

async function digest(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
}

/**
 * Whether two digests are equal, looking at every byte whatever the first difference: the
 * time taken tells nothing about how much of a guessed token was right. Comparing SHA-256
 * digests rather than the tokens themselves also hides the token's length.
 */
function isSameDigest(a: Uint8Array, b: Uint8Array): boolean {
  let difference = a.length ^ b.length;
  for (let i = 0; i < a.length; i++) difference |= a[i] ^ (b[i] ?? 0);
  return difference === 0;
}

/**
 * A check of `Authorization: Bearer <token>` against `token`.
 * @throws {TypeError} at once when `token` is not a non-empty string
 */
export function bearerCheck(token: string): (request: Request) => Promise<void> {
  if (typeof token !== "string" || token === "") {
    throw new TypeError(
      `Cannot serve the HTTP API as token must be a non-empty string: current value is ${
        JSON.stringify(token) ?? String(token)
      }`,
    );
  }
  const expected = digest(token);
  return async (request) => {
    const header = request.headers.get("authorization") ?? "";
    const given = /^Bearer +(\S+) *$/i.exec(header)?.[1];
    const challenge = { "www-authenticate": 'Bearer realm="kinetik"' };
    if (given === undefined) {
      throw new HttpProblem(
        401,
        "Cannot answer as the request needs an Authorization: Bearer <token> header",
        challenge,
      );
    }
    if (!isSameDigest(await digest(given), await expected)) {
      throw new HttpProblem(
        401,
        "Cannot answer as the bearer token is not the one this API was given",
        { "www-authenticate": 'Bearer realm="kinetik", error="invalid_token"' },
      );
    }
  };
}

/** Refuses writes in read-only mode. */
export function assertMayWrite(request: Request, isReadOnly: boolean): void {
  if (isReadOnly && isWrite(request.method)) {
    throw new HttpProblem(
      403,
      `Cannot ${request.method} ${new URL(request.url).pathname} as this API is read-only`,
    );
  }
}

/**
 * Refuses a write sent by a browser from another origin than the API's own or one allowed by
 * the CORS option. A form or a `no-cors` fetch of a page on another site can send a POST
 * without a preflight; without a token (as `kinetik serve` runs on loopback) it would run.
 * Browsers name the page's origin in `Origin` on every such request; other clients send none.
 */
export function assertSameOrigin(request: Request, allowed: readonly string[]): void {
  const origin = request.headers.get("origin");
  if (origin === null || !isWrite(request.method)) return;
  if (origin === new URL(request.url).origin || allowed.includes(origin) || allowed.includes("*")) {
    return;
  }
  throw new HttpProblem(
    403,
    `Cannot ${request.method} as the request comes from a page of another origin: current value is ${
      JSON.stringify(origin)
    }`,
  );
}

/**
 * Refuses a request whose `Host` is not one of `hosts`. On a loopback server without a token
 * this stops DNS rebinding: a page on `evil.example` whose name now resolves to 127.0.0.1
 * still sends `Host: evil.example`.
 */
export function assertHost(request: Request, hosts: readonly string[] | undefined): void {
  if (hosts === undefined) return;
  const host = new URL(request.url).hostname.replace(/^\[(.*)\]$/, "$1");
  if (!hosts.includes(host)) {
    throw new HttpProblem(
      403,
      `Cannot answer as the request's host must be one of ${hosts.join(", ")}: current value is ${
        JSON.stringify(host)
      }`,
    );
  }
}
