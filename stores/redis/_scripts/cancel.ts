/**
 * cancel: moves a queued, delayed or processing job to `cancelled`.
 *
 * - KEYS[1]: the base key `{kinetik:<prefix>}:`
 * - ARGV: id, now, the log line JSON
 * - Returns: the record (HGETALL), or false when the job is unknown or already final
 *
 * @module
 */

/** The body of the cancel script (after `LIB`). */
export const CANCEL = `
local id, now = ARGV[1], ARGV[2]
local key = jobKey(id)
local f = redis.call('HMGET', key, 'status', 'task', 'runAt', 'created', 'key')
if not f[1] or not WAITING[f[1]] then return false end
local task = f[2]
redis.call('ZREM', readyKey(task), readyMember(f[3] or f[4], id))
redis.call('ZREM', delayedKey(task), id)
unlease(id)
redis.call('HSET', key, 'status', 'cancelled', 'finished', now)
moveIndex(id, task, f[1], 'cancelled')
dropDedupe(id, f[5])
redis.call('RPUSH', logsKey(id), ARGV[3])
return redis.call('HGETALL', key)
`;
