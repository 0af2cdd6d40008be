/**
 * A job's log as one text column (SQLite and PostgreSQL): one JSON object per line, each
 * ending in a newline, so appending lines is a text concatenation. @module
 */

import type { LogLine } from "../src/job.ts";
import { inTimeOrder } from "../src/log_order.ts";

/**
 * Log lines as the `logs` column keeps them (`JSON.stringify` escapes newlines inside
 * strings, so a line never spans two).
 */
export function toJsonLines(lines: readonly LogLine[]): string {
  let text = "";
  for (const line of lines) {
    text += JSON.stringify(
      line.data === undefined
        ? { time: line.time, message: line.message }
        : { time: line.time, message: line.message, data: line.data },
    ) + "\n";
  }
  return text;
}

/**
 * The log lines of a `logs` column in time order (see `inTimeOrder`: lines are appended as
 * they arrive, and a line another process writes while a run holds unflushed ones is newer).
 */
export function fromJsonLines(text: string): LogLine[] {
  if (text === "") return [];
  return inTimeOrder(text.slice(0, -1).split("\n").map((line) => JSON.parse(line) as LogLine));
}
