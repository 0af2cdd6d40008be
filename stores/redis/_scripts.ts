/**
 * Every Lua script of the Redis store, assembled from the prelude in `_scripts/lib.ts` and
 * one body per verb, and the function library of them all (for Redis 7). @module
 */

import { RedisScript } from "./_script.ts";
import { type FunctionLibrary, functionLibrary } from "./_library.ts";
import { LIB } from "./_scripts/lib.ts";
import { ADD, ADD_LIB } from "./_scripts/add.ts";
import { CLAIM, CLAIM_LIB } from "./_scripts/claim.ts";
import { READ_METRICS, RECORD_METRICS } from "./_scripts/metrics.ts";
import { LIMITS_LIB } from "./_scripts/limits.ts";
import { SETTLE } from "./_scripts/settle.ts";
import { RENEW } from "./_scripts/renew.ts";
import { RECOVER } from "./_scripts/recover.ts";
import { CANCEL } from "./_scripts/cancel.ts";
import { REQUEUE } from "./_scripts/requeue.ts";
import { COUNT, FETCH, IDS, LOGS, PAGE, STATS } from "./_scripts/read.ts";
import { APPEND_LOGS, HEARTBEAT, WORKERS } from "./_scripts/write.ts";
import { REMOVE, REMOVE_JOB } from "./_scripts/remove.ts";
import { PROMOTE } from "./_scripts/promote.ts";
import { PAUSE, PAUSED, RESUME } from "./_scripts/control.ts";
import { FIRE, SCHEDULE, SCHEDULES, UNSCHEDULE } from "./_scripts/schedules.ts";

/** The scripts, by verb. */
export const SCRIPTS = {
  add: new RedisScript("add", LIB, ADD_LIB, ADD),
  claim: new RedisScript("claim", LIB, LIMITS_LIB, CLAIM_LIB, CLAIM),
  settle: new RedisScript("settle", LIB, LIMITS_LIB, CLAIM_LIB, SETTLE),
  renew: new RedisScript("renew", LIB, RENEW),
  recover: new RedisScript("recover", LIB, RECOVER),
  cancel: new RedisScript("cancel", LIB, CANCEL),
  requeue: new RedisScript("requeue", LIB, REQUEUE),
  fetch: new RedisScript("fetch", LIB, FETCH),
  ids: new RedisScript("ids", LIB, IDS),
  count: new RedisScript("count", LIB, COUNT),
  page: new RedisScript("page", LIB, PAGE),
  stats: new RedisScript("stats", LIB, STATS),
  remove: new RedisScript("remove", LIB, REMOVE),
  removeJob: new RedisScript("remove-job", LIB, REMOVE_JOB),
  promote: new RedisScript("promote", LIB, PROMOTE),
  pause: new RedisScript("pause", LIB, PAUSE),
  resume: new RedisScript("resume", LIB, RESUME),
  paused: new RedisScript("paused", LIB, PAUSED),
  schedule: new RedisScript("schedule", LIB, SCHEDULE),
  unschedule: new RedisScript("unschedule", LIB, UNSCHEDULE),
  schedules: new RedisScript("schedules", LIB, SCHEDULES),
  fire: new RedisScript("fire", LIB, ADD_LIB, FIRE),
  appendLogs: new RedisScript("append-logs", LIB, APPEND_LOGS),
  logs: new RedisScript("logs", LIB, LOGS),
  heartbeat: new RedisScript("heartbeat", LIB, HEARTBEAT),
  workers: new RedisScript("workers", LIB, WORKERS),
  recordMetrics: new RedisScript("record-metrics", LIB, RECORD_METRICS),
  readMetrics: new RedisScript("read-metrics", LIB, READ_METRICS),
} as const;

/** The scripts that only read: registered `no-writes` in the function library. */
const READ_ONLY = new Set<RedisScript>([
  SCRIPTS.fetch,
  SCRIPTS.ids,
  SCRIPTS.count,
  SCRIPTS.page,
  SCRIPTS.stats,
  SCRIPTS.logs,
  SCRIPTS.paused,
  SCRIPTS.schedules,
  SCRIPTS.readMetrics,
]);

/** Every script as a function of one library (see `_library.ts`). */
export const LIBRARY: FunctionLibrary = functionLibrary(Object.values(SCRIPTS), READ_ONLY);
