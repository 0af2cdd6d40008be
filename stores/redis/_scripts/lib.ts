/**
 * Lua shared by every script: the key layout (mirroring `../_keys.ts`), record reads and
 * writes, index upkeep and wake-ups. Each script is this prelude followed by its own body, so a script is still one
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
-- Jobs by task and status (find, count, stats, remove): a zset each, score 0, member
-- indexMember(created, id), so a set reads in creation order and a page starts anywhere with
-- one ZRANGEBYLEX. Every status change moves the member (moveIndex, moveIndexLater).
-- Built once per task and status in a script call: every job of a batch moves between two.
local indexKeys = {}
local function indexKey(task, status)
  local byStatus = indexKeys[task]
  if not byStatus then byStatus = {}; indexKeys[task] = byStatus end
  local key = byStatus[status]
  if not key then key = base .. 'index:' .. task .. ':' .. status; byStatus[status] = key end
  return key
end
local leasesKey = base .. 'leases'
local tasksKey = base .. 'tasks'
local dedupeKey = base .. 'keys'
local function keyWaitingKey(key) return base .. 'key-waiting:' .. key end
local idKey = base .. 'id'
local channel = base .. 'events'
local function finishedKey(status) return base .. 'finished:' .. status end
local STATUSES = { 'queued', 'delayed', 'processing', 'completed', 'failed', 'cancelled', 'timeout' }
local WAITING = { queued = true, delayed = true, processing = true }

-- A whole number in 16 digits, zero-padded. The caller's text of it is padded as it is
-- when it is all digits (ids always are, epoch ms nearly always): string.format costs
-- several times a concatenation, and members are built for every job in every script.
local ZEROS = '0000000000000000'
local function digits16(text)
  if type(text) == 'string' and #text < 16 and not string.find(text, '%D') then return string.sub(ZEROS, #text + 1) .. text end
  return string.format('%016d', math.floor(tonumber(text)))
end
-- Ready-set members sort by the time the job became ready, then by id (creation order);
-- the score (priority) sorts before both.
local function readyMember(readyAt, id) return digits16(readyAt) .. digits16(id) end
-- The id in a ready or index member: its last 16 digits without the leading zeros (by
-- string.find, not tostring(tonumber()): turning a Lua number into text costs a sprintf).
local function memberId(member)
  local first = string.find(member, '[1-9]', 17) -- (string.find returns the end too)
  return string.sub(member, first)
end
-- Finished-set members are the id in 16 digits, so equal finish times order by id.
local function finishedMember(id) return digits16(id) end
-- The index zsets' members have the same layout: creation time, then id.
local function indexMember(created, id) return readyMember(created, id) end
-- The time in a ready or index member (for an index member, when its job was created).
local function memberTime(member) return tonumber(string.sub(member, 1, 16)) end

-- Deferred writes: entries of sets and zsets gathered per key during a script and written
-- by flushLater(), one variadic command per key, in the order each key was first touched; a
-- batch of jobs then costs one command per key instead of one per job. Index moves group
-- by (from, to) zset: one ZREM and one ZADD for all their members. A job moves at most once
-- per group (settles move out of processing, then claims move into it), so the order holds.
-- A script flushes before anything reads those keys (\`trimFinished\` reads a finished set).
-- The writes are found by command, key and second key in nested tables rather than by one
-- joined string: no string is built per job. A call of one job (\`direct\`: an add of one, a
-- settle of one, a claim of at most one) writes at once instead: its tables would cost more
-- than they save (about a tenth of a one-job settle-and-claim call on the benchmark machine).
local laterBySlot, laterOrder = {}, {}
local direct = false
local function later(command, key, a, b, c)
  if direct then
    if command == 'MOVE' then
      redis.call('ZREM', key, a)
      redis.call('ZADD', c, '0', a)
    elseif b then
      redis.call(command, key, a, b)
    else
      redis.call(command, key, a)
    end
    return
  end
  local byKey = laterBySlot[command]
  if not byKey then byKey = {}; laterBySlot[command] = byKey end
  local byTo = byKey[key]
  if not byTo then byTo = {}; byKey[key] = byTo end
  local to = c or false
  local write = byTo[to]
  if not write then
    write = { command, key, to }
    byTo[to] = write
    laterOrder[#laterOrder + 1] = write
  end
  write[#write + 1] = a
  if b then write[#write + 1] = b end
end
-- Lua's unpack() takes at most about 8,000 values: a bigger write goes in slices of 4,000
-- (an even number, so ZADD's score-member pairs stay whole); an index move in slices of
-- 2,000 members, as its ZADD carries a score beside each.
local function flushLater()
  for _, write in ipairs(laterOrder) do
    local command, key, to = write[1], write[2], write[3]
    local step = command == 'MOVE' and 2000 or 4000
    for from = 4, #write, step do
      local last = math.min(from + step - 1, #write)
      if command ~= 'MOVE' then
        redis.call(command, key, unpack(write, from, last))
      else
        redis.call('ZREM', key, unpack(write, from, last))
        local added = {}
        for m = from, last do
          added[#added + 1] = '0' -- text: Redis formats a number argument with a sprintf
          added[#added + 1] = write[m]
        end
        redis.call('ZADD', to, unpack(added))
      end
    end
  end
  laterBySlot, laterOrder = {}, {}
end
local function moveIndexLater(id, task, created, from, to)
  later('MOVE', indexKey(task, from), indexMember(created, id), nil, indexKey(task, to))
end

local function moveIndex(id, task, created, from, to)
  local member = indexMember(created, id)
  if from then redis.call('ZREM', indexKey(task, from), member) end
  if to then redis.call('ZADD', indexKey(task, to), 0, member) end
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

-- A job leaving the unfinished statuses lets go of its key; a job requeued while it held
-- the key (see the requeue script) and still unfinished takes it over, so add keeps
-- returning an unfinished job with the key.
local function dropDedupe(id, key)
  if not key or redis.call('HGET', dedupeKey, key) ~= id then return end
  local waiting = keyWaitingKey(key)
  local heir = redis.call('SPOP', waiting)
  while heir do
    local f = redis.call('HMGET', jobKey(heir), 'status', 'key')
    if heir ~= id and WAITING[f[1]] and f[2] == key then
      redis.call('HSET', dedupeKey, key, heir)
      return
    end
    heir = redis.call('SPOP', waiting)
  end
  redis.call('HDEL', dedupeKey, key)
end

-- Finished jobs: one zset per final status, \`finished:<status>\`, scored by finish time,
-- so a retention sweep (remove with before/keep/limit) reads the oldest first instead of
-- scanning. A settle files its batch with one deferred ZADD per status (see \`later\`).
local function finish(id, key, status, now)
  dropDedupe(id, key)
  later('ZADD', finishedKey(status), now, finishedMember(id))
end

-- Deletes a job with everything that refers to it: its record and logs, its place in the
-- ready, delayed, lease and finished sets and its status index, its dedupe key. \`f\` is the
-- record's { task, status, runAt, created, key }.
local function deleteJob(id, f)
  local task, status = f[1], f[2]
  if status == 'queued' or status == 'delayed' then
    redis.call('ZREM', readyKey(task), readyMember(f[3] or f[4], id))
    redis.call('ZREM', delayedKey(task), id)
  end
  if status == 'processing' then redis.call('ZREM', leasesKey, id) end
  if not WAITING[status] then redis.call('ZREM', finishedKey(status), finishedMember(id)) end
  redis.call('ZREM', indexKey(task, status), indexMember(f[4], id))
  dropDedupe(id, f[5])
  redis.call('DEL', jobKey(id), logsKey(id))
end
local DELETE_FIELDS = { 'task', 'status', 'runAt', 'created', 'key' }

-- The store's maxFinished (-1: off) keeps the newest that many completed jobs, as the
-- queue's \`retention: { completed: { count } }\` would, but at once: trimFinished() deletes
-- the oldest beyond it once per settle call, after the deferred writes are flushed.
local maxFinished = -1
local function trimFinished()
  if maxFinished < 0 then return end
  local key = finishedKey('completed')
  local excess = redis.call('ZCARD', key) - maxFinished
  if excess <= 0 then return end
  local popped = redis.call('ZPOPMIN', key, excess)
  for i = 1, #popped, 2 do
    local id = tostring(tonumber(popped[i]))
    local f = redis.call('HMGET', jobKey(id), unpack(DELETE_FIELDS))
    if f[2] == 'completed' then deleteJob(id, f) end
  end
end

-- A wake-up goes out only when a task's ready set turns non-empty, or when a delayed job
-- due earlier than every other one arrives while the ready set is empty (idle processors
-- then claim again and learn the new next runAt). While the ready set is non-empty every
-- processor of the task is busy (it would have claimed otherwise) and claims again when it
-- settles, so more messages would wake nobody. One check per task and script call.
local woken, delayedHeads = {}, {}
-- noteReady / noteDelayed: the wake-up decision for a job about to enter a task's ready or
-- delayed set (before any entry of this script call is written).
local function noteReady(task)
  if woken[task] == nil then woken[task] = redis.call('ZCARD', readyKey(task)) == 0 end
end
local function noteDelayed(task, runAt)
  if delayedHeads[task] == nil then
    local head = redis.call('ZRANGE', delayedKey(task), 0, 0, 'WITHSCORES')
    delayedHeads[task] = head[2] and tonumber(head[2]) or false
  end
  local head = delayedHeads[task]
  if woken[task] == nil and (not head or tonumber(runAt) < head) then
    woken[task] = redis.call('ZCARD', readyKey(task)) == 0
  end
end
local function enqueue(id, task, priority, readyAt)
  noteReady(task)
  redis.call('ZADD', readyKey(task), priority, readyMember(readyAt, id))
end
local function delay(id, task, runAt)
  noteDelayed(task, runAt)
  redis.call('ZADD', delayedKey(task), runAt, id)
end
local function publishWakes()
  for task, wake in pairs(woken) do
    if wake then redis.call('PUBLISH', channel, '{"type":"wake","task":' .. cjson.encode(task) .. '}') end
  end
end

-- How many connections follow the channel: returned by add, claim and settle so the store
-- can skip publishing job events nobody else would receive (see \`RedisStore.publish\`).
local function listeners() return redis.call('PUBSUB', 'NUMSUB', channel)[2] end

local function pushLogs(id, args, from, to)
  if to >= from then redis.call('RPUSH', logsKey(id), unpack(args, from, to)) end
end
`;
