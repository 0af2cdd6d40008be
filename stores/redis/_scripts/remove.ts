/**
 * remove and removeJob: delete jobs with their logs, dedupe keys and places in every set
 * (`deleteJob` in `lib.ts`).
 *
 * @module
 */

/**
 * remove: deletes up to a batch of the jobs a filter selects. The store calls it again until
 * a call says there is no more (or its own `limit` is reached), so a large clean never holds
 * Redis long.
 *
 * - KEYS[1]: the base key
 * - ARGV: batch size (at most this many this call), before ('' = none), keep ('' = none),
 *   '1' for oldest finished first (before, keep or limit given) or '0' for any order, status
 *   count, statuses, task count (-1 for all) and tasks; then, oldest first only, per final
 *   status of the selection in order, how many entries at the head of its finished set the
 *   previous call skipped ('' = 0)
 * - Returns: `{ removed, more, skips… }`: how many were removed, 1 when another call may
 *   remove more, and the skips to pass to it
 *
 * Any order: the oldest created first from the status indexes (ZPOPMIN: an index zset is in
 * creation order). Oldest first: a merge of the finished sets of the
 * selected statuses, oldest `finished` (then id) first, taking entries finished before
 * `before` until the batch is full or only `keep` matching jobs would be left. Without a task
 * filter every entry matches, so a retention sweep reads exactly what it removes. With one,
 * entries of other tasks are skipped and stay at the head of the set; the skip counts carry
 * that over to the next call, so no call reads them twice (a concurrent change to that head
 * can make a later call skip a matching job: it stays, which a later clean removes). A call
 * reads at most `SCAN` entries. Unfinished jobs have no finish time: `before` never selects
 * them, and without it they count as the newest, in creation order, as in every store.
 */
export const REMOVE = `
local batch, before, keep = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local ordered = ARGV[4] == '1'
local statuses, tasks = {}, nil
local statusCount = tonumber(ARGV[5])
for s = 1, statusCount do statuses[s] = ARGV[5 + s] end
local i = 6 + statusCount
local taskCount = tonumber(ARGV[i])
if taskCount >= 0 then
  tasks = {}
  for t = 1, taskCount do tasks[t] = ARGV[i + t] end
end
i = i + math.max(taskCount, 0) + 1
local allTasks = tasks or redis.call('SMEMBERS', tasksKey)

if not ordered then
  local removed = 0
  for _, task in ipairs(allTasks) do
    for _, status in ipairs(statuses) do
      if removed >= batch then return { removed, 1 } end
      local popped = redis.call('ZPOPMIN', indexKey(task, status), batch - removed)
      for p = 1, #popped, 2 do
        local member = popped[p]
        local id = memberId(member)
        local f = redis.call('HMGET', jobKey(id), 'runAt', 'created', 'key')
        deleteJob(id, { task, status, f[1], f[2] or memberTime(member), f[3] })
      end
      removed = removed + #popped / 2
    end
  end
  return { removed, removed >= batch and 1 or 0 }
end

local SCAN, CHUNK = 1000, 100
local taskSet = {}
for _, task in ipairs(tasks or {}) do taskSet[task] = true end
local final, open = {}, {}
for _, status in ipairs(statuses) do
  if WAITING[status] then open[#open + 1] = status else final[#final + 1] = status end
end

-- How many may go: the batch, and with keep every matching job beyond the newest keep.
local keepLeft = math.huge
if keep then
  local total = 0
  for _, status in ipairs(final) do
    if tasks then
      for _, task in ipairs(tasks) do total = total + redis.call('ZCARD', indexKey(task, status)) end
    else
      total = total + redis.call('ZCARD', finishedKey(status))
    end
  end
  for _, status in ipairs(open) do
    for _, task in ipairs(allTasks) do total = total + redis.call('ZCARD', indexKey(task, status)) end
  end
  keepLeft = total - keep
end
local removable = math.min(batch, keepLeft)
if removable <= 0 then return { 0, 0 } end

local maxScore = before and ('(' .. ARGV[2]) or '+inf'
local lanes = {}
for k, status in ipairs(final) do
  lanes[k] = { status = status, key = finishedKey(status), skip = tonumber(ARGV[i + k - 1]) or 0,
    buf = {}, pos = 1, ended = false }
end
-- A lane's oldest unread entry (member, score), reading the set CHUNK entries at a time.
local function head(lane)
  if lane.pos > #lane.buf then
    if lane.ended then return nil end
    lane.buf = redis.call('ZRANGEBYSCORE', lane.key, '-inf', maxScore, 'WITHSCORES', 'LIMIT',
      lane.skip, CHUNK)
    lane.pos = 1
    lane.ended = #lane.buf < 2 * CHUNK
    if #lane.buf == 0 then return nil end
  end
  return lane.buf[lane.pos], tonumber(lane.buf[lane.pos + 1])
end

local removed, scanned = 0, 0
while removed < removable and scanned < SCAN do
  local best, bestMember, bestScore
  for _, lane in ipairs(lanes) do
    local member, score = head(lane)
    if member and (not best or score < bestScore or (score == bestScore and member < bestMember)) then
      best, bestMember, bestScore = lane, member, score
    end
  end
  if not best then break end
  best.pos = best.pos + 2
  scanned = scanned + 1
  local id = tostring(tonumber(bestMember))
  local f = redis.call('HMGET', jobKey(id), unpack(DELETE_FIELDS))
  if f[2] ~= best.status then
    redis.call('ZREM', best.key, bestMember) -- stale: the job is gone or moved on
  elseif tasks and not taskSet[f[1]] then
    best.skip = best.skip + 1
  else
    deleteJob(id, f)
    removed = removed + 1
  end
end
local candidatesLeft = false
for _, lane in ipairs(lanes) do if head(lane) then candidatesLeft = true end end

-- Unfinished jobs go after every finished one, oldest created first.
if not candidatesLeft and not before and #open > 0 then
  if removed < removable then
    -- Index members sort by creation time, then id: a merge of the sets is a plain sort.
    -- The oldest \`need\` of each set hold the oldest \`need\` of all; a set read to that
    -- length may hold more.
    local need = removable - removed
    local members, owners, moreOpen = {}, {}, false
    for _, status in ipairs(open) do
      for _, task in ipairs(allTasks) do
        local read = redis.call('ZRANGE', indexKey(task, status), 0, need - 1)
        for _, member in ipairs(read) do
          members[#members + 1] = member
          owners[member] = { task, status }
        end
        if #read == need then moreOpen = true end
      end
    end
    table.sort(members)
    local taken = math.min(#members, need)
    for n = 1, taken do
      local member = members[n]
      local id = memberId(member)
      local f = redis.call('HMGET', jobKey(id), 'runAt', 'created', 'key')
      deleteJob(id, { owners[member][1], owners[member][2], f[1], f[2] or memberTime(member), f[3] })
    end
    removed = removed + taken
    candidatesLeft = #members > taken or moreOpen
  else
    candidatesLeft = true
  end
end

local out = { removed, (candidatesLeft and removed < keepLeft) and 1 or 0 }
for k, lane in ipairs(lanes) do out[2 + k] = lane.skip end
return out
`;

/**
 * removeJob: deletes one job in any status.
 *
 * - KEYS[1]: the base key; ARGV: the id
 * - Returns: the record as it was (HGETALL), or false for an unknown job
 */
export const REMOVE_JOB = `
local id = ARGV[1]
local job = readJob(id)
if not job then return false end
deleteJob(id, { job.task, job.status, job.runAt, job.created, job.key })
return flatJob(job)
`;
