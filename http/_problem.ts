/**
 * Errors as `application/problem+json` (RFC 9457), in one place: every route throws, and
 * {@linkcode problemOf} turns what it threw into the answer. The detail is the library's own
 * message, so an API user reads the same words as a library user. @module
 */

import { StoreError } from "../src/store.ts";

/** The media type of every error answer. */
export const PROBLEM_TYPE = "application/problem+json";

/** An RFC 9457 problem document. */
export interface Problem {
  /** Always `about:blank`: the status code says what kind of problem it is. */
  type: string;
  /** The status code's reason phrase. */
  title: string;
  /** The HTTP status code. */
  status: number;
  /** What went wrong, in the library's words. */
  detail: string;
}

/** Reason phrases of the statuses this API answers with. */
const TITLES: Readonly<Record<number, string>> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  409: "Conflict",
  413: "Content Too Large",
  415: "Unsupported Media Type",
  500: "Internal Server Error",
  501: "Not Implemented",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

/** An error a route throws to answer with a given status (and headers). */
export class HttpProblem extends Error {
  /** The HTTP status code. */
  readonly status: number;
  /** Extra response headers (`WWW-Authenticate` for a 401). */
  readonly headers: Record<string, string>;

  /** A problem with `status` whose detail is `message`. */
  constructor(status: number, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.name = "HttpProblem";
    this.status = status;
    this.headers = headers;
  }
}

/** A problem response with `status` and `detail`. */
export function problemResponse(
  status: number,
  detail: string,
  headers: Record<string, string> = {},
): Response {
  const problem: Problem = {
    type: "about:blank",
    title: TITLES[status] ?? "Error",
    status,
    detail,
  };
  return new Response(JSON.stringify(problem), {
    status,
    headers: { ...headers, "content-type": PROBLEM_TYPE },
  });
}

/**
 * The status a thrown value answers with: its own for an {@linkcode HttpProblem}; 400 for the
 * library's `TypeError`/`RangeError` (bad input: a task name, a duration, a query, a body);
 * 504 for a `TimeoutError`; 503 when the store failed; 501 when the store lacks the verb;
 * 500 otherwise.
 */
export function statusOf(error: unknown): number {
  if (error instanceof HttpProblem) return error.status;
  if (error instanceof TypeError || error instanceof RangeError) return 400;
  if (error instanceof DOMException && error.name === "TimeoutError") return 504;
  if (error instanceof StoreError) return 503;
  // The library's words for a verb the store lacks: "Cannot promote job as the sqlite store
  // cannot promote jobs", "Cannot pause as the mongo store does not support pausing",
  // "Cannot read metrics as the x store does not keep them".
  if (
    error instanceof Error &&
    /^Cannot [^:]* as the \S+ store (cannot|does not support|does not keep) /.test(error.message)
  ) {
    return 501;
  }
  return 500;
}

/**
 * The answer to what a route threw. Server-side failures (5xx but 501) also go to `report`,
 * so the operator sees them where the queue reports its errors.
 */
export function problemOf(error: unknown, report: (error: unknown) => void): Response {
  const status = statusOf(error);
  if (status >= 500 && status !== 501) report(error);
  const detail = error instanceof Error ? error.message : String(error);
  return problemResponse(status, detail, error instanceof HttpProblem ? error.headers : {});
}
