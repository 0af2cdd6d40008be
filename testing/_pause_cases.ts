/**
 * Conformance cases for pause and resume (group `pause`): the stored paused set, claims that
 * skip paused tags (by `ClaimRequest.tags`) and paused tasks, running jobs that finish, a
 * pause racing claims from another connection, and the wake-up on resume. @module
 */

import assert from "node:assert/strict";
import type { ClaimResult, PauseTarget, Store } from "../src/store.ts";
import { expectMessage, handshake } from "./_capability_cases.ts";
import type { StoreCase } from "./_helpers.ts";
import { claim, claimOne, ids, LEASE, newJob, plain, T0 } from "./_helpers.ts";

function assertCanPause(store: Store): void {
  for (const verb of ["pause", "resume", "paused"] as const) {
    assert.equal(
      typeof store[verb],
      "function",
      `${verb}() is missing: implement it or skip "pause" with a reason`,
    );
  }
}

async function pausedSorted(store: Store): Promise<PauseTarget> {
  const { tags, tasks } = await store.paused!();
  return { tags: [...tags].sort(), tasks: [...tasks].sort() };
}

/** A claim's `next`, when given, is a time still to come: a processor never spins on it. */
function assertNextAhead(result: ClaimResult, now: number, what: string): void {
  if (result.next !== undefined) {
    assert.ok(result.next > now, `${what}: next ${result.next} must be after now ${now}`);
  }
}

/** Two tags, `mail` (tasks send, digest) and `media` (resize), as a processor claims them. */
const TAGGED = {
  groups: [["send", "digest"], ["resize"]],
  tags: ["mail", "media"],
};

/** The `pause` cases. */
export const pauseCases: StoreCase[] = [
  {
    name: "pause: stores the paused set once per name and resume removes only what it names",
    async run(store) {
      assertCanPause(store);
      assert.deepEqual(await pausedSorted(store), { tags: [], tasks: [] });
      await store.pause!({ tags: ["mail", "media"], tasks: ["resize"] });
      await store.pause!({ tags: ["mail"], tasks: [] });
      assert.deepEqual(await pausedSorted(store), { tags: ["mail", "media"], tasks: ["resize"] });
      await store.resume!({ tags: ["mail", "never paused"], tasks: ["send"] });
      assert.deepEqual(await pausedSorted(store), { tags: ["media"], tasks: ["resize"] });
      await store.resume!({ tags: ["media"], tasks: ["resize"] });
      assert.deepEqual(await pausedSorted(store), { tags: [], tasks: [] });
    },
  },
  {
    name: "pause: a claim skips the groups of paused tags it names and takes the next group",
    async run(store) {
      assertCanPause(store);
      const [send, , resize] = await store.add([
        newJob("send"),
        newJob("digest", { created: T0 + 1 }),
        newJob("resize", { created: T0 + 2 }),
      ]);
      await store.pause!({ tags: ["mail"], tasks: [] });
      const skipped = await claim(store, TAGGED.groups, { tags: TAGGED.tags, limit: 10 });
      assert.deepEqual(ids(skipped.jobs), [resize.id], "only the media group is claimed");
      assertNextAhead(skipped, T0, "a claim with a paused tag");
      // Without tags the claim cannot tell a group's tag: nothing is skipped for it.
      const untagged = await claim(store, TAGGED.groups, { limit: 1 });
      assert.deepEqual(ids(untagged.jobs), [send.id]);
      await store.resume!({ tags: ["mail"], tasks: [] });
      const resumed = await claim(store, TAGGED.groups, { tags: TAGGED.tags, limit: 10 });
      assert.deepEqual(resumed.jobs.map((job) => job.task), ["digest"]);
    },
  },
  {
    name: "pause: a claim skips paused tasks in every group, with or without tags",
    async run(store) {
      assertCanPause(store);
      const [, digest, resize] = await store.add([
        newJob("send"),
        newJob("digest", { created: T0 + 1 }),
        newJob("resize", { created: T0 + 2 }),
      ]);
      await store.pause!({ tags: [], tasks: ["send"] });
      const tagged = await claim(store, TAGGED.groups, { tags: TAGGED.tags, limit: 1 });
      assert.deepEqual(ids(tagged.jobs), [digest.id], "the next task of the same group");
      const untagged = await claim(store, TAGGED.groups, { limit: 10 });
      assert.deepEqual(ids(untagged.jobs), [resize.id]);
      assert.equal(await store.count({ task: "send", status: "queued" }), 1);
    },
  },
  {
    name: "pause: running jobs renew and settle; paused delayed jobs never make next due",
    async run(store) {
      assertCanPause(store);
      await store.add([
        newJob("send"),
        newJob("send", { created: T0 + 1 }),
        newJob("send", { created: T0 + 2, runAt: T0 + 10 }),
      ]);
      const running = await claimOne(store, "send");
      await store.pause!({ tags: ["mail"], tasks: [] });
      assert.deepEqual(
        await store.renew([{ id: running.id, token: running.token }], LEASE, T0 + 5),
        [
          true,
        ],
      );
      const settled = await store.settle([
        { id: running.id, token: running.token, outcome: "completed", now: T0 + 6, logs: [] },
      ]);
      assert.equal(settled.jobs[0]?.status, "completed", "a running job finishes");
      for (const now of [T0 + 20, T0 + 100_000]) {
        const result = await claim(store, TAGGED.groups, { tags: TAGGED.tags, now });
        assert.deepEqual(result.jobs, []);
        assertNextAhead(result, now, "a claim of a paused tag");
      }
      await store.pause!({ tags: [], tasks: ["send"] });
      await store.resume!({ tags: ["mail"], tasks: [] });
      const byTask = await claim(store, "send", { now: T0 + 20 });
      assert.deepEqual(byTask.jobs, []);
      assertNextAhead(byTask, T0 + 20, "a claim of a paused task");
      await store.resume!({ tags: [], tasks: ["send"] });
      assert.equal((await claim(store, "send", { now: T0 + 20 })).jobs.length, 2);
    },
  },
  {
    name: "pause: once a pause from another connection resolves, no claim takes its jobs",
    async run(store, { peer }) {
      assertCanPause(store);
      const other = await peer();
      await store.add(
        Array.from(
          { length: 60 },
          (_, i) => newJob(i % 2 ? "send" : "resize", { created: T0 + i }),
        ),
      );
      const claimer = (i: number) =>
        claim(i % 2 ? other : store, TAGGED.groups, {
          tags: TAGGED.tags,
          limit: 2,
          worker: `w${i}`,
        });
      const racing = Array.from({ length: 10 }, (_, i) => claimer(i));
      const paused = other.pause!({ tags: ["mail"], tasks: ["resize"] });
      racing.push(...Array.from({ length: 10 }, (_, i) => claimer(i + 10)));
      const [results] = await Promise.all([Promise.all(racing), paused]);
      const claimed = results.flatMap((result) => ids(result.jobs));
      assert.equal(new Set(claimed).size, claimed.length, "no job was claimed twice");
      for (let i = 0; i < 6; i++) {
        assert.deepEqual((await claimer(i)).jobs, [], `claim ${i} after the pause resolved`);
      }
      const left = await store.count({ status: "queued" });
      assert.equal(left + claimed.length, 60, "every job is claimed once or still queued");
      await store.resume!({ tags: ["mail"], tasks: ["resize"] });
      assert.equal((await claim(other, TAGGED.groups, { tags: TAGGED.tags })).jobs.length, left);
    },
  },
  {
    name: "pause: resume wakes every subscriber",
    async run(store) {
      assertCanPause(store);
      if (!store.subscribe) return; // nothing to wake on a store without messages
      await store.pause!({ tags: ["mail"], tasks: [] });
      const controller = new AbortController();
      const reader = store.subscribe(controller.signal).getReader();
      try {
        await handshake(store, reader);
        await store.resume!({ tags: ["mail"], tasks: [] });
        const wake = await expectMessage(reader, (m) => m.type === "wake", "wake on resume");
        assert.deepEqual(
          plain(wake),
          { type: "wake" },
          "a wake-up for every processor, not one task",
        );
      } finally {
        controller.abort();
        reader.releaseLock();
      }
    },
  },
];
