/**
 * requeue: puts a failed, timed-out or cancelled job back to `queued` by hand: error,
 * finished and runAt cleared, attempts kept. It takes its dedupe key back unless another
 * unfinished job holds it by now; then it waits in `key-waiting:<key>` and takes the key
 * when that job finishes.
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
local job = readJob(id)
if not job then return false end
local status, task = job.status, job.task
if status ~= 'failed' and status ~= 'timeout' and status ~= 'cancelled' then return false end
update(id, job, { 'status', 'queued' }, { 'error', 'finished', 'runAt' })
if job.key and redis.call('HSETNX', dedupeKey, job.key, id) == 0 then
  redis.call('SADD', keyWaitingKey(job.key), id)
end
moveIndex(id, task, job.created, status, 'queued')
redis.call('ZREM', finishedKey(status), finishedMember(id))
enqueue(id, task, job.priority, job.created)
redis.call('RPUSH', logsKey(id), ARGV[2])
publishWakes()
return flatJob(job)
`;
