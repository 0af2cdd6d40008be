/**
 * The small write scripts: remove, appendLogs, heartbeat and workers.
 *
 * @module
 */

/**
 * remove: deletes up to a batch of jobs of the selected statuses and tasks, with their
 * logs, dedupe keys and places in the ready, delayed and lease sets. The store calls it
 * until a batch comes back short, so a large clean never blocks Redis for long.
 *
 * - KEYS[1]: the base key
 * - ARGV: batch size, status count, statuses, task count (-1 for all) and tasks
 * - Returns: how many were removed
 */
export const REMOVE = `
local batch = tonumber(ARGV[1])
local statuses, tasks = {}, {}
local statusCount = tonumber(ARGV[2])
for s = 1, statusCount do statuses[s] = ARGV[2 + s] end
local i = 3 + statusCount
if tonumber(ARGV[i]) < 0 then
  tasks = redis.call('SMEMBERS', tasksKey)
else
  for t = 1, tonumber(ARGV[i]) do tasks[t] = ARGV[i + t] end
end
local removed = 0
for _, task in ipairs(tasks) do
  for _, status in ipairs(statuses) do
    if removed >= batch then return removed end
    -- The oldest first: an index zset is in creation order.
    local popped = redis.call('ZPOPMIN', indexKey(task, status), batch - removed)
    local ids = {}
    for p = 1, #popped, 2 do ids[#ids + 1] = memberId(popped[p]) end
    for _, id in ipairs(ids) do
      local f = redis.call('HMGET', jobKey(id), 'runAt', 'created', 'key')
      if f[2] then redis.call('ZREM', readyKey(task), readyMember(f[1] or f[2], id)) end
      redis.call('ZREM', delayedKey(task), id)
      redis.call('ZREM', leasesKey, id)
      redis.call('ZREM', finishedKey, id)
      dropDedupe(id, f[3])
      redis.call('DEL', jobKey(id), logsKey(id))
    end
    removed = removed + #ids
  end
end
return removed
`;

/**
 * appendLogs: appends log lines to a job that exists.
 *
 * - KEYS[1]: the base key; ARGV: id, then the lines (JSON)
 * - Returns: 1 when appended, 0 for an unknown job
 */
export const APPEND_LOGS = `
if redis.call('EXISTS', jobKey(ARGV[1])) == 0 then return 0 end
pushLogs(ARGV[1], ARGV, 2, #ARGV)
return 1
`;

/**
 * heartbeat: records a worker until `expires` (the caller's clock, not Redis's).
 *
 * - KEYS[1]: the base key; ARGV: worker id, record JSON, expires (epoch ms)
 * - Returns: 1
 */
export const HEARTBEAT = `
redis.call('HSET', base .. 'worker-records', ARGV[1], ARGV[2])
redis.call('ZADD', base .. 'workers', ARGV[3], ARGV[1])
return 1
`;

/**
 * workers: forgets workers whose heartbeat expired before now and returns the others.
 *
 * - KEYS[1]: the base key; ARGV: now
 * - Returns: the live workers' record JSONs
 */
export const WORKERS = `
local zset, records = base .. 'workers', base .. 'worker-records'
local dead = redis.call('ZRANGEBYSCORE', zset, '-inf', '(' .. ARGV[1])
if #dead > 0 then
  redis.call('ZREM', zset, unpack(dead))
  redis.call('HDEL', records, unpack(dead))
end
local live = redis.call('ZRANGE', zset, 0, -1)
if #live == 0 then return {} end
return redis.call('HMGET', records, unpack(live))
`;
