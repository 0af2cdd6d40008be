/**
 * recover: requeues (or fails, when out of attempts) jobs whose lease expired before now.
 *
 * - KEYS[1]: the base key `{kinetik:<prefix>}:`
 * - ARGV: now, at most how many, the requeue log line JSON, the failure log line JSON, the
 *   stalled error JSON
 * - Returns: the recovered records (HGETALL); fewer than asked means none are left
 * - Publishes: a wake-up per task whose ready set a requeued job made non-empty
 *
 * @module
 */

/** The body of the recover script (after `LIB`). */
export const RECOVER = `
local now = ARGV[1]
local out = {}
local ids = redis.call('ZRANGEBYSCORE', leasesKey, '-inf', '(' .. now, 'LIMIT', 0, tonumber(ARGV[2]))
for _, id in ipairs(ids) do
  redis.call('ZREM', leasesKey, id)
  local job = readJob(id)
  if job and job.status == 'processing' then
    local task = job.task
    local max = tonumber(job.maxAttempts or '0')
    if max > 0 and tonumber(job.attempts) >= max then
      update(id, job, { 'status', 'failed', 'finished', now, 'error', ARGV[5] }, LEASE_FIELDS)
      moveIndex(id, task, job.created, 'processing', 'failed')
      finish(id, job.key, 'failed', now)
      redis.call('RPUSH', logsKey(id), ARGV[4])
    else
      update(id, job, { 'status', 'queued' }, LEASE_FIELDS)
      enqueue(id, task, job.priority, job.runAt or job.created)
      moveIndex(id, task, job.created, 'processing', 'queued')
      redis.call('RPUSH', logsKey(id), ARGV[3])
    end
    out[#out + 1] = flatJob(job)
  end
end
flushLater()
publishWakes()
return out
`;
