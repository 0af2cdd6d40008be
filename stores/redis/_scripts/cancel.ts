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
local job = readJob(id)
if not job or not WAITING[job.status] then return false end
local task, from = job.task, job.status
redis.call('ZREM', readyKey(task), readyMember(job.runAt or job.created, id))
redis.call('ZREM', delayedKey(task), id)
redis.call('ZREM', leasesKey, id)
update(id, job, { 'status', 'cancelled', 'finished', now }, from == 'processing' and LEASE_FIELDS)
moveIndex(id, task, job.created, from, 'cancelled')
finish(id, job.key, 'cancelled', now)
redis.call('RPUSH', logsKey(id), ARGV[3])
flushLater()
return flatJob(job)
`;
