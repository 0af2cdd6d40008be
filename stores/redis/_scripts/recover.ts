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
  local key = jobKey(id)
  local f = redis.call('HMGET', key, 'status', 'task', 'attempts', 'maxAttempts', 'priority',
    'runAt', 'created', 'key')
  unlease(id)
  if f[1] == 'processing' then
    local task = f[2]
    local max = tonumber(f[4] or '0')
    if max > 0 and tonumber(f[3]) >= max then
      redis.call('HSET', key, 'status', 'failed', 'finished', now, 'error', ARGV[5])
      moveIndex(id, task, 'processing', 'failed')
      dropDedupe(id, f[8])
      redis.call('RPUSH', logsKey(id), ARGV[4])
    else
      redis.call('HSET', key, 'status', 'queued')
      enqueue(id, task, f[5], f[6] or f[7])
      moveIndex(id, task, 'processing', 'queued')
      redis.call('RPUSH', logsKey(id), ARGV[3])
    end
    out[#out + 1] = redis.call('HGETALL', key)
  end
end
publishWakes()
return out
`;
