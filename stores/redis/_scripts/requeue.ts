/**
 * requeue: puts a failed, timed-out or cancelled job back to `queued` by hand: error,
 * finished and runAt cleared, attempts kept. It takes its dedupe key back unless another
 * unfinished job holds it by now.
 *
 * - KEYS[1]: the base key `{kinetik:<prefix>}:`
 * - ARGV: id, the log line JSON
 * - Returns: the record (HGETALL), or false when the job is unknown or in another status
 * - Publishes: a wake-up when the job makes its task's ready set non-empty
 *
 * @module
 */

/** The body of the requeue script (after `LIB`). */
export const REQUEUE = `
local id = ARGV[1]
local key = jobKey(id)
local f = redis.call('HMGET', key, 'status', 'task', 'priority', 'created', 'key')
local status = f[1]
if status ~= 'failed' and status ~= 'timeout' and status ~= 'cancelled' then return false end
local task = f[2]
redis.call('HDEL', key, 'error', 'finished', 'runAt')
redis.call('HSET', key, 'status', 'queued')
if f[5] then redis.call('HSETNX', dedupeKey, f[5], id) end
moveIndex(id, task, status, 'queued')
enqueue(id, task, f[3], f[4])
redis.call('RPUSH', logsKey(id), ARGV[2])
publishWakes()
return redis.call('HGETALL', key)
`;
