/**
 * promote: makes a delayed job ready now: status `queued`, `runAt` cleared, so it orders by
 * its creation among the ready jobs of its priority (as a requeued job does).
 *
 * - KEYS[1]: the base key `{kinetik:<prefix>}:`
 * - ARGV: id, the log line JSON
 * - Returns: the record (HGETALL), or false when the job is unknown or not delayed
 * - Publishes: a wake-up when the job makes its task's ready set non-empty
 *
 * @module
 */

/** The body of the promote script (after `LIB`). */
export const PROMOTE = `
local id = ARGV[1]
local job = readJob(id)
if not job or job.status ~= 'delayed' then return false end
local task = job.task
redis.call('ZREM', delayedKey(task), id)
-- A claim may have moved it to the ready set already once due, keyed by its runAt.
redis.call('ZREM', readyKey(task), readyMember(job.runAt or job.created, id))
update(id, job, { 'status', 'queued' }, { 'runAt' })
moveIndex(id, task, job.created, 'delayed', 'queued')
enqueue(id, task, job.priority, job.created)
redis.call('RPUSH', logsKey(id), ARGV[2])
publishWakes()
return flatJob(job)
`;
