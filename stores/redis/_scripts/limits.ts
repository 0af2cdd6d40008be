/**
 * What holds a claim back: paused tags and tasks, and the task limits of the request (rate
 * and concurrency), counted across every worker on the queue. Lua shared by the claim and
 * settle scripts (after `LIB`, before `CLAIM_LIB`).
 *
 * - **Paused** tags and tasks are members `tag:<name>` and `task:<name>` of one set, read
 *   once per claim (SMEMBERS of a missing key costs what an EXISTS would), so unpaused work
 *   pays one command per call, not per job.
 * - **Rate** (`max` starts in any window of `per` ms): a zset per task, `rate:<task>`, of
 *   start times (member the claim's token). The claim drops the starts older than
 *   `RATE_KEEP_WINDOWS` windows (a claim that arrives late may need them), counts those
 *   after `now - per`, and files its own; when ready jobs stay behind, the window reopens when
 *   the oldest start leaves it, which the claim reports as `next`.
 * - **Concurrency** (`n` running): the size of the task's `processing` status index, which
 *   every claim, settle, recover, cancel and remove keeps up to date anyway.
 *
 * Only tasks the request names in its limits section pay for any of this.
 *
 * @module
 */

import { RATE_KEEP_WINDOWS } from "../../../src/store.ts";

/** Lua: `readPaused`, `readLimits`, `allowance`, `noteStart` and `reopensAt`. */
export const LIMITS_LIB = `
local pausedKey = base .. 'paused'
local keepWindows = ${RATE_KEEP_WINDOWS}
local function rateKey(task) return base .. 'rate:' .. task end

-- The paused set as a table (member -> true), or nil when nothing is paused.
local function readPaused()
  local members = redis.call('SMEMBERS', pausedKey)
  if #members == 0 then return nil end
  local paused = {}
  for _, member in ipairs(members) do paused[member] = true end
  return paused
end

-- The limits section of a claim request: count, then per task: task, rate max, rate per,
-- concurrency ('' = none). Returns task -> { rateMax, ratePer, concurrency } (nil when
-- empty), and the index after it.
local function readLimits(args, i)
  local count = tonumber(args[i])
  i = i + 1
  if count == 0 then return nil, i end
  local limits = {}
  for _ = 1, count do
    limits[args[i]] = { rateMax = tonumber(args[i + 1]), ratePer = tonumber(args[i + 2]),
      concurrency = tonumber(args[i + 3]) }
    i = i + 4
  end
  return limits, i
end

-- How many jobs of a limited task may start now, by its rate and by its concurrency
-- (math.huge for no limit). Reads the processing index, so the caller flushes deferred index
-- moves first (a settle in the same call may have moved jobs out of it).
local function allowance(task, limit, now)
  local byRate, byConcurrency = math.huge, math.huge
  if limit.rateMax then
    local key = rateKey(task)
    redis.call('ZREMRANGEBYSCORE', key, '-inf', tonumber(now) - keepWindows * limit.ratePer)
    local inWindow = redis.call('ZCOUNT', key, '(' .. (tonumber(now) - limit.ratePer), '+inf')
    byRate = math.max(limit.rateMax - inWindow, 0)
  end
  if limit.concurrency then
    local running = redis.call('ZCARD', indexKey(task, 'processing'))
    byConcurrency = math.max(limit.concurrency - running, 0)
  end
  return byRate, byConcurrency
end

-- Files one start of a rate-limited task.
local function noteStart(task, limit, now, token)
  if limit.rateMax then later('ZADD', rateKey(task), now, token) end
end

-- When the rate window of a task whose ready jobs it held back reopens: its oldest start in
-- the window (this claim's own starts are at now) plus the window; nil when it holds none
-- back.
local function reopensAt(task, limit, now)
  if redis.call('ZCARD', readyKey(task)) == 0 then return nil end
  local oldest = redis.call('ZRANGEBYSCORE', rateKey(task), '(' .. (tonumber(now) - limit.ratePer),
    '+inf', 'WITHSCORES', 'LIMIT', 0, 1)[2]
  local start = tonumber(now)
  if oldest and tonumber(oldest) < start then start = tonumber(oldest) end
  return start + limit.ratePer
end
`;
