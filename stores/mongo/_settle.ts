/**
 * The settle and the lease verbs: every write to a `processing` job is fenced by its claim's
 * token. @module
 */

import type { Job } from "../../src/job.ts";
import type { Lease, Settlement } from "../../src/store.ts";
import { STALLED_ERROR, STORE_MESSAGES } from "../../src/store.ts";
import {
  documentId,
  type JobDocument,
  jsonCopy,
  RECORD_PROJECTION,
  resultFields,
  toJob,
  toLogLine,
} from "./_documents.ts";
import type { Collections } from "./_schema.ts";
import { bsonSize, MAX_RESULT_BYTES, resultTooLargeLine } from "./_size.ts";

/** Leaving `processing` drops the lease. */
const UNLEASE = { worker: "", leaseUntil: "", _token: "" } as const;

/**
 * The update for one outcome: status and its fields (a completed run's result among them),
 * the lease dropped, the progress, and the buffered log lines pushed onto the log in the same
 * write. A result too large for the job's document is left out, with a log line saying so
 * (see `_size.ts`).
 */
export function settleUpdate(settlement: Settlement): Record<string, Record<string, unknown>> {
  const { outcome, now } = settlement;
  const set: Record<string, unknown> = {};
  const unset: Record<string, ""> = { ...UNLEASE };
  const update: Record<string, Record<string, unknown>> = { $set: set, $unset: unset };
  const lines = settlement.logs.map(toLogLine);
  switch (outcome) {
    case "completed": {
      Object.assign(set, { status: "completed", finished: now });
      Object.assign(unset, { error: "", _activeKey: "" });
      const bytes = settlement.result === undefined ? 0 : bsonSize(settlement.result);
      const isTooLarge = bytes > MAX_RESULT_BYTES;
      const result = resultFields(isTooLarge ? undefined : settlement.result);
      Object.assign(set, result.set);
      Object.assign(unset, result.unset);
      if (isTooLarge) lines.push(resultTooLargeLine(now, bytes));
      break;
    }
    case "failed":
    case "timeout":
      Object.assign(set, {
        status: outcome,
        finished: now,
        error: jsonCopy(settlement.error) ?? { message: outcome },
      });
      unset._activeKey = "";
      break;
    case "retry": {
      const runAt = settlement.runAt ?? now;
      Object.assign(set, { status: "delayed", runAt, _readyAt: runAt });
      if (settlement.error !== undefined) set.error = jsonCopy(settlement.error);
      else unset.error = "";
      break;
    }
    case "release":
      set.status = "queued";
      update.$inc = { attempts: -1 };
      break;
    default:
      throw new TypeError(
        `Cannot settle a job as the outcome is unknown: current value is ${
          JSON.stringify(outcome)
        }`,
      );
  }
  if (settlement.progress !== undefined) set.progress = jsonCopy(settlement.progress);
  if (lines.length > 0) update.$push = { _logs: { $each: lines } };
  return update;
}

/** Settles one job, or resolves to `undefined` when its token no longer holds. */
async function settleOne(
  collections: Collections,
  settlement: Settlement,
): Promise<Job | undefined> {
  const _id = documentId(settlement.id);
  if (_id === undefined) return undefined;
  const document = await collections.jobs.findOneAndUpdate(
    { _id, _token: settlement.token, status: "processing" },
    settleUpdate(settlement),
    { projection: RECORD_PROJECTION, returnDocument: "after" },
  );
  return document === null ? undefined : toJob(document);
}

/**
 * Records outcomes, each fenced by its token. Distinct jobs settle in parallel; a batch
 * naming one job twice waits there, so the second settlement sees what the first did.
 */
export async function settle(
  collections: Collections,
  settlements: readonly Settlement[],
): Promise<(Job | undefined)[]> {
  const results: (Job | undefined)[] = new Array(settlements.length).fill(undefined);
  let wave: Promise<void>[] = [];
  let ids = new Set<string>();
  for (const [index, settlement] of settlements.entries()) {
    if (ids.has(settlement.id)) {
      await Promise.all(wave);
      wave = [];
      ids = new Set();
    }
    ids.add(settlement.id);
    wave.push(settleOne(collections, settlement).then((job) => void (results[index] = job)));
  }
  await Promise.all(wave);
  return results;
}

/**
 * Extends leases whose token still holds to `until`. Each renewal is one `updateOne` whose
 * filter names the token: the new lease, the lines flushed since the last renewal and the
 * latest progress are written together exactly when the claim still holds, so a run that lost
 * its lease (recovered, cancelled, removed, claimed again) writes nothing.
 */
export function renew(
  collections: Collections,
  leases: readonly Lease[],
  until: number,
): Promise<boolean[]> {
  return Promise.all(leases.map(async ({ id, token, logs, progress }) => {
    const _id = documentId(id);
    if (_id === undefined) return false;
    const set: Record<string, unknown> = { leaseUntil: until };
    if (progress !== undefined) set.progress = jsonCopy(progress);
    const update: Record<string, Record<string, unknown>> = { $set: set };
    if (logs !== undefined && logs.length > 0) {
      update.$push = { _logs: { $each: logs.map(toLogLine) } };
    }
    const result = await collections.jobs.updateOne(
      { _id, _token: token, status: "processing" },
      update,
    );
    return result.matchedCount === 1;
  }));
}

/**
 * Requeues (or fails, when out of attempts) jobs whose lease expired before `now`.
 *
 * Each candidate is rewritten with a filter that repeats the expiry and names its token:
 * `attempts` and `maxAttempts` change only on a claim, which draws a new token, so the
 * "spent or not" decision made from the candidate still holds when the write matches, and a
 * lease renewed or a job settled in between is left alone.
 */
export async function recover(collections: Collections, now: number): Promise<Job[]> {
  const expired = await collections.jobs.find(
    { status: "processing", leaseUntil: { $lt: now } },
    { projection: { _id: 1, _token: 1, attempts: 1, maxAttempts: 1 } },
  ).toArray();
  const recovered = await Promise.all(expired.map(async (candidate) => {
    const isSpent = (candidate.maxAttempts ?? 0) > 0 &&
      candidate.attempts >= candidate.maxAttempts!;
    const update = isSpent
      ? {
        $set: { status: "failed" as const, error: { ...STALLED_ERROR }, finished: now },
        $unset: { ...UNLEASE, _activeKey: "" as const },
        $push: { _logs: { time: now, message: STORE_MESSAGES.stalledFailed } },
      }
      : {
        $set: { status: "queued" as const },
        $unset: UNLEASE,
        $push: { _logs: { time: now, message: STORE_MESSAGES.stalledRequeued } },
      };
    return await collections.jobs.findOneAndUpdate(
      {
        _id: candidate._id,
        _token: candidate._token,
        status: "processing",
        leaseUntil: { $lt: now },
      },
      update,
      { projection: RECORD_PROJECTION, returnDocument: "after" },
    );
  }));
  return recovered
    .filter((document): document is JobDocument => document !== null)
    .sort((a, b) => a._id - b._id)
    .map(toJob);
}
