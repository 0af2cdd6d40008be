/**
 * Every Redis key of a queue, built in one place.
 *
 * All of a queue's keys start with one hash tag, `{kinetik:<prefix>}`, so Redis Cluster
 * puts them in one slot and every Lua script may touch any of them. Scripts get only the
 * base key (`KEYS[1]`) and derive the rest with the same layout (see `_scripts/lib.ts`):
 *
 * | key | type | holds |
 * |---|---|---|
 * | `<base>id` | string | the last job id (INCR) |
 * | `<base>job:<id>` | hash | the job record, one field per {@linkcode Job} field, plus `token`, the "created" line as `log`, and `ownMaxAttempts` when saved with its own |
 * | `<base>logs:<id>` | list | the job's log lines, JSON, oldest first |
 * | `<base>ready:<task>` | zset | claimable jobs: score `priority`, member `readyAt(16 digits) id(16 digits)` |
 * | `<base>delayed:<task>` | zset | delayed jobs by `runAt`, member the id |
 * | `<base>leases` | zset | processing jobs by `leaseUntil`, member the id |
 * | `<base>index:<task>:<status>` | zset | jobs by task and status, score 0, member `created(16 digits) id(16 digits)` (creation order): `find` (keyset pages), `count`, `stats`, `remove` |
 * | `<base>finished:<status>` | zset | jobs of a final status by `finished`, member the id in 16 digits: retention sweeps, `maxFinished` |
 * | `<base>tasks` | set | every task name seen |
 * | `<base>keys` | hash | dedupe key → id of the unfinished job holding it |
 * | `<base>key-waiting:<key>` | set | ids requeued while another job held `key`: the next holders |
 * | `<base>paused` | set | paused tags and tasks, as `tag:<name>` and `task:<name>`: read by every claim |
 * | `<base>rate:<task>` | zset | a rate-limited task's starts in its window: member the claim's token, score its time |
 * | `<base>schedules` | hash | schedule id → its {@linkcode ScheduleRecord} JSON without `next` |
 * | `<base>schedule-specs` | hash | schedule id → its `spec`, compared by `schedule` and `fire` |
 * | `<base>schedule-next` | zset | schedule id by its next fire time |
 * | `<base>workers` | zset | worker id by heartbeat expiry |
 * | `<base>worker-records` | hash | worker id → {@linkcode WorkerRecord} JSON |
 * | `<base>metrics` | zset | minutes with metrics: score and member the minute's start (epoch ms) |
 * | `<base>metrics:<minute>` | hash | that minute's counts: `<task>:c` completed, `<task>:f` failed, `<task>:<bucket>` runs per run-time bucket; EXPIRE 25 h |
 * | `<base>events` | channel | {@linkcode StoreMessage} JSON: wake-ups, job events, cancels |
 *
 * @module
 */

/** The part of a key after the base. */
export type KeyKind = "job" | "logs" | "events";

/**
 * The base key of a queue: `{kinetik:<prefix>}:`.
 *
 * @throws {TypeError} when the prefix is empty or holds `{` or `}` (it would break the hash tag)
 */
export function baseKey(prefix: string): string {
  if (typeof prefix !== "string" || prefix === "" || /[{}]/.test(prefix)) {
    throw new TypeError(
      `Cannot open the Redis store as the prefix must be a non-empty string without { or }: current value is ${
        JSON.stringify(prefix)
      }`,
    );
  }
  return `{kinetik:${prefix}}:`;
}

/** One key of a queue, e.g. `redisKey(base, "job", "42")` is `{kinetik:default}:job:42`. */
export function redisKey(base: string, kind: KeyKind, part?: string): string {
  return part === undefined ? `${base}${kind}` : `${base}${kind}:${part}`;
}
