/**
 * Request bodies: JSON only, at most 1 MB, checked twice — the `Content-Length` a client
 * announces (refused before reading a byte), and the bytes that actually arrive (a chunked
 * body, or one longer than announced, is cut off at the limit). @module
 */

import { HttpProblem } from "./_problem.ts";

/** The largest body any route reads: 1 MB. */
export const MAX_BODY_BYTES = 1_048_576;

/**
 * The 413 answer. It closes the connection: the rest of the body was never read, so the
 * connection cannot carry another request.
 */
function tooLarge(size: string): HttpProblem {
  return new HttpProblem(
    413,
    `Cannot read the request body as it must be at most ${MAX_BODY_BYTES} bytes: current value is ${size}`,
    { connection: "close" },
  );
}

/** The body's bytes, refusing more than {@linkcode MAX_BODY_BYTES}. */
async function readBytes(request: Request): Promise<Uint8Array> {
  const announced = request.headers.get("content-length");
  if (announced !== null && Number(announced) > MAX_BODY_BYTES) throw tooLarge(announced);
  if (request.body === null) return new Uint8Array();
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_BODY_BYTES) {
      await reader.cancel().catch(() => {});
      throw tooLarge(`more than ${MAX_BODY_BYTES} bytes`);
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return bytes;
}

/**
 * The request's JSON body; `undefined` for an empty one when `isOptional`.
 *
 * A body must say `Content-Type: application/json`. Besides naming the format, that keeps a
 * web page on another site from posting here: a browser sends such a request only after a
 * CORS preflight, which this API answers only for the origins it was configured with.
 *
 * @throws {HttpProblem} 413 for a body over 1 MB, 415 for another content type, 400 for an
 * empty body (unless optional) or one that is not JSON
 */
export async function readJson(
  request: Request,
  { isOptional = false }: { isOptional?: boolean } = {},
): Promise<unknown> {
  const bytes = await readBytes(request);
  if (bytes.byteLength === 0) {
    if (isOptional) return undefined;
    throw new HttpProblem(400, "Cannot read the request body as it is empty: it must be JSON");
  }
  const type = request.headers.get("content-type") ?? "";
  if (!/^application\/([a-z0-9.+-]*\+)?json\s*(;|$)/i.test(type)) {
    throw new HttpProblem(
      415,
      `Cannot read the request body as its Content-Type must be application/json: current value is ${
        JSON.stringify(type)
      }`,
    );
  }
  const text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new HttpProblem(
      400,
      `Cannot read the request body as it is not JSON: ${(error as Error).message}`,
    );
  }
}
