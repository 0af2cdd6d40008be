/**
 * MongoDB's nesting limit, and how the store keeps within it. @module
 */

/*
 * MongoDB refuses documents nested more than 100 levels deep, the document itself counting
 * as the first ("Nested Depth for BSON Documents" in the server's limits; SERVER-26703 shows
 * a document of 101 nested objects refused and 100 kept). Kinetik's core lets data nest 1,000
 * levels (`MAX_DATA_DEPTH`), so the store decides what happens in between, before anything
 * reaches the server:
 *
 * - Job data is a field of the job document, one level down, so it may nest 99 levels. Deeper
 *   data is refused by `add` with a RangeError naming the limit, and nothing is saved: data
 *   stays a document on the server because queries on `data.*` run there.
 * - Log line data sits three levels down (the document, its `_logs` array, the line). Nothing
 *   queries inside it, so a line whose data nests deeper than 97 levels keeps it as JSON text
 *   instead (`_json`), read back as the data it was. A run's lines are written with its outcome,
 *   and refusing them there would lose the outcome.
 * - A result is a field of the job document like data, so it may nest 99 levels; but it comes
 *   with the outcome, like log lines, so for the same reason a deeper one is kept as JSON text
 *   (`_resultJson`) rather than refused, and read back as the result it was. A query on
 *   `result` sends such jobs along from the server and matches them in memory (`_query.ts`).
 *   (The size limit is `_size.ts`'s.)
 *
 * The wire-protocol emulator the tests run against does not model the limit (it keeps data
 * 1,000 levels deep as it is), so these rules are what makes the store behave the same on it
 * as on a real server.
 */

/** How deep job data may nest in a job document. */
export const MAX_DOCUMENT_DATA_DEPTH = 99;

/** How deep log line data may nest before it is kept as JSON text. */
export const MAX_LOG_DATA_DEPTH = 97;

/**
 * Whether `value`, as JSON, nests deeper than `levels` (each array or object is one level).
 * Iterative, and it stops at the first path deeper than `levels`.
 */
export function nestsDeeper(value: unknown, levels: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [item, depth] = stack.pop()!;
    if (item === null || typeof item !== "object") continue;
    const { toJSON } = item as { toJSON?: unknown };
    if (typeof toJSON === "function") {
      // What JSON stores in its place (a Date's string, say).
      stack.push([toJSON.call(item, ""), depth]);
      continue;
    }
    if (depth + 1 > levels) return true;
    for (const inner of Array.isArray(item) ? item : Object.values(item)) {
      stack.push([inner, depth + 1]);
    }
  }
  return false;
}
