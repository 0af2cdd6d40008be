/**
 * The records this store leased, kept until their settle: the settle then builds each
 * settled record itself instead of reading it back, half the reply of a busy processor's
 * settle-and-claim call. @module
 */

import type { ClaimResult, LeasedJob } from "../../src/store.ts";

/** Leased records kept for their settle; runs never settled here are forgotten beyond this. */
const LEASED_KEPT = 10_000;

/** Leased records by token, until settled. */
export class LeasedRecords {
  #byToken = new Map<string, LeasedJob>();

  /**
   * Keeps a copy of each job a claim leased. Runs that are never settled here (lease lost,
   * process gone) are forgotten oldest first beyond `LEASED_KEPT`.
   */
  remember(result: ClaimResult): ClaimResult {
    for (const job of result.jobs) this.#byToken.set(job.token, { ...job });
    for (const token of this.#byToken.keys()) {
      if (this.#byToken.size <= LEASED_KEPT) break;
      this.#byToken.delete(token);
    }
    return result;
  }

  /** The record leased under `token` for job `id`, forgotten from here on. */
  take(id: string, token: string): LeasedJob | undefined {
    const leased = this.#byToken.get(token);
    this.#byToken.delete(token);
    return leased?.id === id ? leased : undefined;
  }
}
