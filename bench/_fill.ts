/**
 * Fills a store with a realistic backlog for read benchmarks: jobs of ten tasks in two tags,
 * most of them completed, some failed, some still queued, with creation times spread over a
 * day and runs of equal times (bulk creates). It goes through the store's own verbs (add,
 * claim, settle), so the indexes are exactly what a real queue leaves behind. @module
 */

import type { Store } from "../mod.ts";

/** The tasks of the backlog; even ones are tagged `mail`, odd ones `media`. */
export const FILL_TASKS: readonly string[] = Array.from({ length: 10 }, (_, n) => `task-${n}`);

/** The tag of a task of {@linkcode FILL_TASKS}. */
export function tagOf(task: string): string {
  return Number(task.split("-")[1]) % 2 === 0 ? "mail" : "media";
}

/** Out of every 100 jobs: 80 end completed, 10 failed, 10 stay queued. */
function outcomeOf(n: number): "completed" | "failed" | undefined {
  const slot = n % 100;
  return slot < 80 ? "completed" : slot < 90 ? "failed" : undefined;
}

const CHUNK = 10_000;

/**
 * Adds `jobs` jobs and runs 90% of them to an outcome; `progress` hears how many are done.
 * Creation times step by 1 ms every 20 jobs from `start`, so ties are common.
 */
export async function fillStore(
  store: Store,
  jobs: number,
  { start = Date.now() - 86_400_000, progress }: {
    start?: number;
    progress?: (done: number) => void;
  } = {},
): Promise<void> {
  for (let from = 0; from < jobs; from += CHUNK) {
    const count = Math.min(CHUNK, jobs - from);
    const added = await store.add(Array.from({ length: count }, (_, i) => {
      const n = from + i;
      const created = start + Math.floor(n / 20);
      return {
        task: FILL_TASKS[n % FILL_TASKS.length],
        data: { n, user: `user-${n % 1000}` },
        created,
        // The jobs that stay queued go behind every other, so claims take only the rest.
        priority: outcomeOf(n) === undefined ? 1 : 0,
        log: { time: created, message: "Created" },
      };
    }));
    const outcome = new Map(added.map((job) => [job.id, outcomeOf((job.data as { n: number }).n)]));
    const now = start + Math.floor((from + count) / 20);
    // In batches of 1,000: a Redis script unpacks at most a few thousand arguments at once.
    for (let left = [...outcome.values()].filter(Boolean).length; left > 0;) {
      const leased = await store.claim({
        groups: [FILL_TASKS],
        limit: Math.min(left, 1_000),
        worker: "fill",
        leaseMs: 60_000,
        now,
      });
      left -= leased.jobs.length;
      if (leased.jobs.length === 0) break;
      await store.settle(leased.jobs.map((job) => {
        const result = outcome.get(job.id) ?? "completed";
        const error = result === "failed" ? { message: "failed on purpose" } : undefined;
        return { id: job.id, token: job.token, outcome: result, now, error, logs: [] };
      }));
    }
    progress?.(from + count);
  }
}
