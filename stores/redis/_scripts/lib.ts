/**
 * Lua shared by the scripts: the key layout (mirroring `../_keys.ts`), index upkeep and
 * wake-ups. Each script is this prelude followed by its own body, so a script is still one
 * self-contained EVAL.
 *
 * Conventions: `KEYS[1]` is always the queue's base key `{kinetik:<prefix>}:`; every other
 * key is derived from it, so all of them hash to one cluster slot. Numbers that end up in a
 * record are passed through as the caller's strings, never re-formatted by Lua, so an epoch
 * millisecond comes back exactly as it went in. An empty string means "absent".
 *
 * @module
 */

/** Key helpers, status index upkeep, dedupe keys, leases and wake-ups. */
export const LIB = `
local base = KEYS[1]
local function jobKey(id) return base .. 'job:' .. id end
local function logsKey(id) return base .. 'logs:' .. id end
local function readyKey(task) return base .. 'ready:' .. task end
local function delayedKey(task) return base .. 'delayed:' .. task end
local function indexKey(task, status) return base .. 'index:' .. task .. ':' .. status end
local leasesKey = base .. 'leases'
local tasksKey = base .. 'tasks'
local dedupeKey = base .. 'keys'
local idKey = base .. 'id'
local channel = base .. 'events'
local STATUSES = { 'queued', 'delayed', 'processing', 'completed', 'failed', 'cancelled', 'timeout' }
local WAITING = { queued = true, delayed = true, processing = true }

-- Ready-set members sort by the time the job became ready, then by id (creation order);
-- the score (priority) sorts before both.
local function readyMember(readyAt, id)
  return string.format('%016d%016d', math.floor(tonumber(readyAt)), tonumber(id))
end
local function memberId(member) return tostring(tonumber(string.sub(member, 17))) end

local function moveIndex(id, task, from, to)
  if from and to then return redis.call('SMOVE', indexKey(task, from), indexKey(task, to), id) end
  if from then redis.call('SREM', indexKey(task, from), id) end
  if to then redis.call('SADD', indexKey(task, to), id) end
end

-- A record is read once (HGETALL) into a table, changed with update(), and returned from
-- that table, so a verb costs one read and one or two writes per job, not a re-read.
local function readJob(id)
  local flat = redis.call('HGETALL', jobKey(id))
  if #flat == 0 then return nil end
  local job = {}
  for i = 1, #flat, 2 do job[flat[i]] = flat[i + 1] end
  return job
end
local function update(id, job, set, del)
  if set and #set > 0 then
    redis.call('HSET', jobKey(id), unpack(set))
    for i = 1, #set, 2 do job[set[i]] = tostring(set[i + 1]) end
  end
  if del and #del > 0 then
    redis.call('HDEL', jobKey(id), unpack(del))
    for _, field in ipairs(del) do job[field] = nil end
  end
end
local function flatJob(job)
  local flat = {}
  for field, value in pairs(job) do
    flat[#flat + 1] = field
    flat[#flat + 1] = value
  end
  return flat
end
local LEASE_FIELDS = { 'worker', 'leaseUntil', 'token' }

local function dropDedupe(id, key)
  if key and redis.call('HGET', dedupeKey, key) == id then redis.call('HDEL', dedupeKey, key) end
end


-- A wake-up goes out only when a task's ready set turns non-empty: while it is non-empty
-- every processor of the task is busy (it would have claimed otherwise) and claims again
-- when it settles, so more messages would wake nobody.
local woken = {}
local function enqueue(id, task, priority, readyAt)
  local key = readyKey(task)
  if woken[task] == nil then woken[task] = redis.call('ZCARD', key) == 0 end
  redis.call('ZADD', key, priority, readyMember(readyAt, id))
end
local function publishWakes()
  for task, wake in pairs(woken) do
    if wake then redis.call('PUBLISH', channel, '{"type":"wake","task":' .. cjson.encode(task) .. '}') end
  end
end

local function pushLogs(id, args, from, to)
  if to >= from then redis.call('RPUSH', logsKey(id), unpack(args, from, to)) end
end
`;

/**
 * The claim, shared by the claim and settle scripts: `claim(args, i)` reads a claim request
 * from `args` starting at index `i` and returns `{ jobs, next }`.
 *
 * Request layout: now, leaseUntil, worker, limit, token suffix, group count, then per group
 * its size and `task, maxAttempts` pairs.
 *
 * How it works: each task has a ready zset (score = priority, member = ready time then id,
 * so ZPOPMIN yields exactly the order the contract asks for) and a delayed zset by `runAt`.
 * The claim first moves the due delayed jobs of the tasks it was asked for into their ready
 * sets (a job stays `delayed` in its record until it is claimed, as in every store), then
 * takes groups in order. A group of one task pops its whole share with one ZPOPMIN; a group
 * of several merges the heads of their ready sets, one job at a time. Each leased job gets
 * status, attempts, started, worker, lease, maxAttempts and a token in one HSET, moves from
 * its status index to `processing` and enters the lease zset that `recover` reads. When
 * fewer jobs than asked were found, `next` is the earliest `runAt` still delayed.
 * Everything runs inside one script, so no other client sees a half-claimed job.
 */
export const CLAIM_LIB = `
local function promote(task, now)
  local key = delayedKey(task)
  local due = redis.call('ZRANGEBYSCORE', key, '-inf', now, 'LIMIT', 0, 1000)
  if #due == 0 then return end
  for _, id in ipairs(due) do
    local f = redis.call('HMGET', jobKey(id), 'priority', 'runAt', 'created')
    if f[1] then enqueue(id, task, f[1], f[2] or f[3]) end
  end
  redis.call('ZREM', key, unpack(due))
end

local function lease(id, task, maxAttempts, request, out)
  local job = readJob(id)
  if not job then return end
  local from = job.status
  update(id, job, { 'status', 'processing', 'attempts', tonumber(job.attempts) + 1,
    'started', request.now, 'worker', request.worker, 'leaseUntil', request.leaseUntil,
    'maxAttempts', maxAttempts, 'token', id .. '.' .. request.suffix })
  moveIndex(id, task, from, 'processing')
  redis.call('ZADD', leasesKey, request.leaseUntil, id)
  out[#out + 1] = flatJob(job)
end

local function headOf(key) return redis.call('ZRANGE', key, 0, 0, 'WITHSCORES') end
local function before(a, b)
  local x, y = tonumber(a[2]), tonumber(b[2])
  if x ~= y then return x < y end
  return a[1] < b[1]
end

local function claim(args, i)
  local request = { now = args[i], leaseUntil = args[i + 1], worker = args[i + 2],
    suffix = args[i + 4] }
  local limit = tonumber(args[i + 3])
  local groupCount = tonumber(args[i + 5])
  i = i + 6
  local out, tasks = {}, {}
  for _ = 1, groupCount do
    local size = tonumber(args[i])
    i = i + 1
    local group = {}
    for t = 1, size do
      group[t] = { task = args[i], max = args[i + 1], key = readyKey(args[i]) }
      tasks[#tasks + 1] = args[i]
      promote(args[i], request.now)
      i = i + 2
    end
    if size == 1 and #out < limit then
      local popped = redis.call('ZPOPMIN', group[1].key, limit - #out)
      for p = 1, #popped, 2 do lease(memberId(popped[p]), group[1].task, group[1].max, request, out) end
    elseif size > 1 then
      local heads = {}
      for t, entry in ipairs(group) do heads[t] = headOf(entry.key) end
      while #out < limit do
        local best
        for t, head in ipairs(heads) do
          if head[1] and (not best or before(head, heads[best])) then best = t end
        end
        if not best then break end
        local entry = group[best]
        redis.call('ZREM', entry.key, heads[best][1])
        lease(memberId(heads[best][1]), entry.task, entry.max, request, out)
        heads[best] = headOf(entry.key)
      end
    end
  end
  local nextAt = ''
  if #out < limit then
    for _, task in ipairs(tasks) do
      local head = headOf(delayedKey(task))
      if head[2] and (nextAt == '' or tonumber(head[2]) < tonumber(nextAt)) then nextAt = head[2] end
    end
  end
  return { out, nextAt }, i
end
`;
