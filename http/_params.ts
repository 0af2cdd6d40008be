/**
 * Reading what a request says in its path and query string: ids, lists, numbers, and the
 * `query` JSON. Each reader throws the library's kind of error (`TypeError`/`RangeError`
 * with the value shown), which the API answers with 400. @module
 */

import { JOB_STATUSES, type JobStatus } from "../src/job.ts";

/** A value as messages show it, cut short: a body may be a megabyte long. */
function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

/**
 * What an id may look like: letters, digits and `._~:-`, at most 200 of them. Every built-in
 * store's job ids fit (decimal numbers, MongoDB's hex); checking before any store sees an id
 * means no id from a URL ever reaches a key, a path or a query that it could bend.
 */
const ID = /^[A-Za-z0-9._~:-]{1,200}$/;

/**
 * An id from the path, checked against {@linkcode ID}.
 * @throws {TypeError} for an id of other characters, or an empty or longer one
 */
export function idParam(value: string | undefined, what: string): string {
  if (value === undefined || !ID.test(value)) {
    throw new TypeError(
      `Cannot read ${what} as it must be 1 to 200 letters, digits or ._~:-: current value is ${
        show(value)
      }`,
    );
  }
  return value;
}

/** Every value of a query parameter, repeated (`?task=a&task=b`) or comma-separated. */
export function listParam(url: URL, name: string): string[] | undefined {
  const values = url.searchParams.getAll(name).flatMap((value) => value.split(","))
    .map((value) => value.trim()).filter((value) => value !== "");
  return values.length > 0 ? values : undefined;
}

/**
 * `name`'s values, each one of `allowed`.
 * @throws {TypeError} naming the allowed values
 */
export function choiceParam<T extends string>(
  url: URL,
  name: string,
  allowed: readonly T[],
): T[] | undefined {
  const values = listParam(url, name);
  const wrong = values?.find((value) => !allowed.includes(value as T));
  if (wrong !== undefined) {
    throw new TypeError(
      `Cannot read ${name} as it must be one of ${allowed.join(", ")}: current value is ${
        show(wrong)
      }`,
    );
  }
  return values as T[] | undefined;
}

/** `status` of a job list: statuses. */
export function statusParam(url: URL): JobStatus[] | undefined {
  return choiceParam(url, "status", JOB_STATUSES);
}

/**
 * A whole number in `[min, max]`, or `fallback` when the parameter is absent.
 * @throws {RangeError} for anything else
 */
export function intParam(
  url: URL,
  name: string,
  { min, max, fallback }: { min: number; max: number; fallback: number },
): number {
  const text = url.searchParams.get(name);
  if (text === null) return fallback;
  const value = Number(text);
  if (!/^[0-9]+$/.test(text.trim()) || value < min || value > max) {
    throw new RangeError(
      `Cannot read ${name} as it must be a whole number from ${min} to ${max}: current value is ${
        show(text)
      }`,
    );
  }
  return value;
}

/**
 * The `query` parameter: a Mongo-style query as JSON (`{"data.user":42}`). The library
 * validates it afterwards (`$where` and unknown operators are refused there).
 * @throws {TypeError} when it is not JSON or not an object
 */
export function queryParam(url: URL): Record<string, unknown> | undefined {
  const text = url.searchParams.get("query");
  if (text === null || text.trim() === "") return undefined;
  let query: unknown;
  try {
    query = JSON.parse(text);
  } catch (error) {
    throw new TypeError(
      `Cannot read query as it must be JSON (${(error as Error).message}): current value is ${
        show(text)
      }`,
    );
  }
  if (typeof query !== "object" || query === null || Array.isArray(query)) {
    throw new TypeError(
      `Cannot read query as it must be a JSON object: current value is ${show(text)}`,
    );
  }
  return query as Record<string, unknown>;
}

/**
 * Checks that a JSON body is an object with only `allowed` keys.
 * @throws {TypeError} naming the unknown key, or when the body is not an object
 */
export function assertFields(
  body: unknown,
  allowed: readonly string[],
  what: string,
): asserts body is Record<string, unknown> {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new TypeError(
      `Cannot ${what} as the body must be a JSON object: current value is ${show(body)}`,
    );
  }
  const unknown = Object.keys(body).find((key) => !allowed.includes(key));
  if (unknown !== undefined) {
    throw new TypeError(
      `Cannot ${what} as the body may only have ${allowed.join(", ")}: current value is ${
        show(unknown)
      }`,
    );
  }
}
