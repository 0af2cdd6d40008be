/**
 * MongoDB's document size limit, and how the store keeps within it. @module
 */

import { BSON } from "mongodb";

/*
 * A MongoDB document holds at most 16 MiB of BSON ("BSON Document Size" in the server's
 * limits), and a job is one document: its data, its result and its whole log. The server
 * refuses a write that would make a document larger, so the store splits the budget before
 * anything reaches it, and decides per part what a part over its share does:
 *
 * - Data: at most `MAX_DATA_BYTES`. Larger data is refused by `add` with a RangeError at the
 *   call site, and nothing of the batch is saved (as for data nested too deep, `_depth.ts`).
 * - Result: at most `MAX_RESULT_BYTES`. It arrives with the run's outcome, and refusing the
 *   settle would lose that outcome (the processor would retry the settle until the lease
 *   expired, and the job would run again, with the same result). So the outcome is written
 *   without the result, and a log line says why: the job is `completed`, its `result` unset.
 *   (Results nested too deep are kept as JSON text instead, as log data is; see `_depth.ts`.)
 * - The log gets what is left, at least 4 MiB: thousands of lines of ordinary size. A log
 *   beyond that makes the server refuse the write that carries it.
 *
 * The mongo-wire emulator the tests run against refuses documents over 16 MiB as a server does,
 * so what these shares prevent can be seen there too.
 */

/** How large a job's data may be, as BSON. */
export const MAX_DATA_BYTES = 8 * 1024 * 1024;

/** How large a job's result may be, as BSON. */
export const MAX_RESULT_BYTES = 4 * 1024 * 1024;

/** The BSON size of `value` as a document's field (the field name and type byte left out). */
export function bsonSize(value: unknown): number {
  // A one-field document `{ v: value }` costs 4 (length) + 1 (type) + 2 ("v\0") + 1 (end).
  return BSON.calculateObjectSize({ v: value }) - 8;
}

/** The log line written instead of a result too large to store. */
export function resultTooLargeLine(time: number, bytes: number): { time: number; message: string } {
  return {
    time,
    message: `Result not stored: MongoDB keeps a job's result at most ${MAX_RESULT_BYTES} ` +
      `bytes of BSON, and this one has ${bytes}`,
  };
}
