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
  for _, member in ipairs(redis.call('ZRANGE', key, 0, -1)) do out[#out + 1] = memberId(member) end
end
return out
`;

/**
 * page: the records of a page in creation order, after a given place, from the index zsets:
 * one ZRANGEBYLEX per selected task and status (exclusive of the place, at most `n` members;
 * a zset's members sort by creation time, then id), merged here, the first `n` kept. So a page
 * costs the same wherever it starts and however many jobs the store holds.
 *
 * - KEYS[1]: the base key; ARGV: direction (1 or -1), n, the place (an index member, or ''
 *   for the start), then a selection (see above)
 * - Returns: `{ members, records }`: the page's index members and records (HGETALL), in order
 */
export const PAGE = SELECTION + `
local ascending, n, place = ARGV[1] == '1', tonumber(ARGV[2]), ARGV[3]
local candidates = {}
for _, key in ipairs(selection(4)) do
  local members
  if ascending then
    members = redis.call('ZRANGEBYLEX', key, place == '' and '-' or '(' .. place, '+', 'LIMIT', 0, n)
  else
    members = redis.call('ZREVRANGEBYLEX', key, place == '' and '+' or '(' .. place, '-', 'LIMIT', 0, n)
  end
  for _, member in ipairs(members) do candidates[#candidates + 1] = member end
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
for _, key in ipairs(selection(1)) do total = total + redis.call('ZCARD', key) end
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
    local n = redis.call('ZCARD', indexKey(task, status))
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
