/**
 * The small write scripts: appendLogs, heartbeat and workers.
 *
 * @module
 */

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
