/**
 * The read scripts: records by id, ids and counts by task and status, and stats. They
 * only read, so they never block writers for long (the index sets keep them off the
 * job hashes they do not need).
 *
 * Selection layout shared by `IDS` and `COUNT`: status count, statuses, then task count
 * (-1 for every task seen) and tasks.
 *
 * @module
 */

/** Lua reading a selection from ARGV (after `LIB`). */
const SELECTION = `
local function selectionParts(i)
  local statuses, tasks = {}, {}
  for s = 1, tonumber(ARGV[i]) do statuses[s] = ARGV[i + s] end
  i = i + tonumber(ARGV[i]) + 1
  local taskCount = tonumber(ARGV[i])
  if taskCount < 0 then
    tasks = redis.call('SMEMBERS', tasksKey)
  else
    for t = 1, taskCount do tasks[t] = ARGV[i + t] end
  end
  return statuses, tasks
end
local function selection(i)
  local statuses, tasks = selectionParts(i)
  local keys = {}
  for _, task in ipairs(tasks) do
    for _, status in ipairs(statuses) do keys[#keys + 1] = indexKey(task, status) end
  end
  return keys
end
`;

/**
 * fetch: records by id.
 *
 * - KEYS[1]: the base key; ARGV: ids
 * - Returns: per id its record (HGETALL; empty when unknown)
 */
export const FETCH = `
local out = {}
for i, id in ipairs(ARGV) do out[i] = redis.call('HGETALL', jobKey(id)) end
return out
`;

/**
 * ids: the ids of jobs with the selected statuses and tasks.
 *
 * - KEYS[1]: the base key; ARGV: a selection (see above)
 * - Returns: the ids, in no order
 */
export const IDS = SELECTION + `
local out = {}
for _, key in ipairs(selection(1)) do
  for _, id in ipairs(redis.call('SMEMBERS', key)) do out[#out + 1] = id end
end
return out
`;

/**
 * page: the records of a page in creation order, after a given place, read from the indexes.
 *
 * Per selected task it takes at most `n` candidates, then merges them and keeps the first `n`:
 * - every status selected: a range of the task's `created` zset from the place on
 *   (ZRANGEBYLEX, exclusive), which is exactly the page;
 * - some statuses: whichever of two reads costs fewer commands. With `S` jobs in the selected
 *   status sets and `Z` in the created zset, walking the zset from the place and checking
 *   each job's status costs about `n * Z / S` reads; reading the `S` ids and their creation
 *   times and sorting them costs `S`. The smaller of the two is at most `sqrt(n * Z)`, so a
 *   page of 50 among a million jobs of one task costs at most about 7,000 reads, wherever it
 *   starts and however rare the status is.
 *
 * - KEYS[1]: the base key; ARGV: direction (1 or -1), n, the place (a created member, or ''
 *   for the start), then a selection (see above)
 * - Returns: `{ members, records }`: the page's created members and records (HGETALL), in order
 */
export const PAGE = SELECTION + `
local ascending, n, place = ARGV[1] == '1', tonumber(ARGV[2]), ARGV[3]
local statuses, tasks = selectionParts(4)
local selected = {}
for _, status in ipairs(statuses) do selected[status] = true end
local everyStatus = true
for _, status in ipairs(STATUSES) do everyStatus = everyStatus and selected[status] == true end

local function isAfter(member)
  if place == '' then return true end
  if ascending then return member > place end
  return member < place
end
-- Up to \`count\` members of a created zset after \`from\` (a member, or '' for the start).
local function range(key, from, count)
  if ascending then
    return redis.call('ZRANGEBYLEX', key, from == '' and '-' or '(' .. from, '+', 'LIMIT', 0, count)
  end
  return redis.call('ZREVRANGEBYLEX', key, from == '' and '+' or '(' .. from, '-', 'LIMIT', 0, count)
end

local candidates = {}
local function walk(task, statuses)
  local key, from, found = createdKey(task), place, 0
  local chunk = statuses and math.max(n * 4, 200) or n
  while found < n do
    local members = range(key, from, chunk)
    for _, member in ipairs(members) do
      if not statuses or statuses[redis.call('HGET', jobKey(memberId(member)), 'status')] then
        candidates[#candidates + 1] = member
        found = found + 1
        if found == n then return end
      end
    end
    if #members < chunk then return end
    from = members[#members]
  end
end
local function sortSets(task, keys)
  local members = {}
  for _, key in ipairs(keys) do
    for _, id in ipairs(redis.call('SMEMBERS', key)) do
      local created = redis.call('HGET', jobKey(id), 'created')
      if created then
        local member = createdMember(created, id)
        if isAfter(member) then members[#members + 1] = member end
      end
    end
  end
  table.sort(members, function(a, b) if ascending then return a < b end return a > b end)
  for i = 1, math.min(n, #members) do candidates[#candidates + 1] = members[i] end
end

for _, task in ipairs(tasks) do
  if everyStatus then
    walk(task, nil)
  else
    local inSets, taskKeys = 0, {}
    for s, status in ipairs(statuses) do
      taskKeys[s] = indexKey(task, status)
      inSets = inSets + redis.call('SCARD', taskKeys[s])
    end
    if inSets > 0 then
      local total = redis.call('ZCARD', createdKey(task))
      if inSets <= n * total / inSets then sortSets(task, taskKeys) else walk(task, selected) end
    end
  end
end

table.sort(candidates, function(a, b) if ascending then return a < b end return a > b end)
local members, records = {}, {}
for i = 1, math.min(n, #candidates) do
  members[i] = candidates[i]
  records[i] = redis.call('HGETALL', jobKey(memberId(candidates[i])))
end
return { members, records }
`;

/**
 * count: how many jobs have the selected statuses and tasks.
 *
 * - KEYS[1]: the base key; ARGV: a selection (see above)
 * - Returns: the count
 */
export const COUNT = SELECTION + `
local total = 0
for _, key in ipairs(selection(1)) do total = total + redis.call('SCARD', key) end
return total
`;

/**
 * stats: counts of every task by status.
 *
 * - KEYS[1]: the base key; ARGV: none
 * - Returns: flat `task, { status, count, … }` pairs, leaving out zero counts
 */
export const STATS = `
local out = {}
for _, task in ipairs(redis.call('SMEMBERS', tasksKey)) do
  local counts = {}
  for _, status in ipairs(STATUSES) do
    local n = redis.call('SCARD', indexKey(task, status))
    if n > 0 then counts[#counts + 1] = status; counts[#counts + 1] = n end
  end
  if #counts > 0 then out[#out + 1] = task; out[#out + 1] = counts end
end
return out
`;

/**
 * logs: a job's log lines. The first, "created", is the record's \`log\` field, the rest
 * the \`logs:<id>\` list (a record without the field has every line in the list).
 *
 * - KEYS[1]: the base key; ARGV[1]: the id
 * - Returns: the lines' JSON texts in append order (the store puts them in time order)
 */
export const LOGS = `
local id = ARGV[1]
local lines = redis.call('LRANGE', logsKey(id), 0, -1)
local created = redis.call('HGET', jobKey(id), 'log')
if created then table.insert(lines, 1, created) end
return lines
`;
