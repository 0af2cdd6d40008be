/**
 * schedule, unschedule, schedules and fire. A schedule is three entries under one id: its
 * record without `next` in the hash `schedules` (JSON, returned as it was saved), its `spec`
 * in the hash `schedule-specs` (compared by schedule and fire without decoding the record),
 * and its `next` fire time as its score in the zset `schedule-next`.
 *
 * @module
 */

/**
 * schedule: saves a schedule unless one with the same id and spec is stored.
 *
 * - KEYS[1]: the base key; ARGV: id, record JSON without `next`, spec, next
 * - Returns: `{ record JSON, next }` as stored afterwards
 */
export const SCHEDULE = `
local id, record, spec, nextAt = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local records, specs, nexts = base .. 'schedules', base .. 'schedule-specs', base .. 'schedule-next'
if redis.call('HGET', specs, id) == spec then
  local stored = redis.call('HGET', records, id)
  local storedNext = redis.call('ZSCORE', nexts, id)
  if stored and storedNext then return { stored, storedNext } end
end
redis.call('HSET', records, id, record)
redis.call('HSET', specs, id, spec)
redis.call('ZADD', nexts, nextAt, id)
return { record, nextAt }
`;

/**
 * unschedule: deletes a schedule.
 *
 * - KEYS[1]: the base key; ARGV: id
 * - Returns: 1 when there was one, else 0
 */
export const UNSCHEDULE = `
local id = ARGV[1]
redis.call('HDEL', base .. 'schedule-specs', id)
redis.call('ZREM', base .. 'schedule-next', id)
return redis.call('HDEL', base .. 'schedules', id)
`;

/**
 * schedules: every schedule.
 *
 * - KEYS[1]: the base key; ARGV: none
 * - Returns: `{ records, nexts }`: HGETALL of the records, and ZRANGE WITHSCORES of the fire
 *   times (id, next pairs)
 */
export const SCHEDULES = `
return { redis.call('HGETALL', base .. 'schedules'),
  redis.call('ZRANGE', base .. 'schedule-next', 0, -1, 'WITHSCORES') }
`;

/**
 * fire: adds a schedule's jobs and moves its next fire time, only while the schedule is
 * stored with the spec and next fire time the caller read (compare-and-set), so of several
 * processes firing the same schedule at once exactly one writes anything.
 *
 * - KEYS[1]: the base key; ARGV: id, spec, expected next, new next, then the jobs as the add
 *   script takes them (count, then each job's arguments)
 * - Returns: false when the compare failed (nothing written), else `{ saved, listeners }` as
 *   the add script returns them
 * - Publishes: the add's wake-ups
 */
export const FIRE = `
local id, spec, expected, nextAt = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local nexts = base .. 'schedule-next'
local stored = redis.call('ZSCORE', nexts, id)
if redis.call('HGET', base .. 'schedule-specs', id) ~= spec or not stored
  or tonumber(stored) ~= tonumber(expected) then
  return false
end
local out = addJobs(ARGV, 6, tonumber(ARGV[5]))
redis.call('ZADD', nexts, nextAt, id)
flushLater()
publishWakes()
return { out, listeners() }
`;
