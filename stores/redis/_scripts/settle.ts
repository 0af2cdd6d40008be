/**
 * settle: records run outcomes, fenced by token, then optionally claims the next jobs in
 * the same script, so a busy processor needs one round trip per batch of jobs.
 *
 * - KEYS[1]: the base key `{kinetik:<prefix>}:`
 * - ARGV[1]: how many settlements; then per settlement: id, token, outcome
 *   (completed|failed|timeout|retry|release), now, error JSON (''), runAt (''),
 *   progress JSON (''), log line count, the log lines (JSON); then '1' and a claim request
 *   (see `CLAIM_LIB`) or '0'
 * - Returns: `{ settled, jobs, next }`: per settlement the record afterwards (HGETALL) or
 *   false when refused (unknown job, not processing, or another token); then the claim's
 *   result as in the claim script
 * - Publishes: a wake-up when a released job makes its task's ready set non-empty
 *
 * @module
 */

/** The body of the settle script (after `LIB` and `CLAIM_LIB`). */
export const SETTLE = `
local settled = {}
local i = 2
for s = 1, tonumber(ARGV[1]) do
  local id, token, outcome, now, err, runAt, progress = unpack(ARGV, i, i + 6)
  local logCount = tonumber(ARGV[i + 7])
  local logsFrom = i + 8
  i = logsFrom + logCount
  local key = jobKey(id)
  local f = redis.call('HMGET', key, 'status', 'token', 'task', 'key', 'attempts', 'priority',
    'runAt', 'created')
  if f[1] ~= 'processing' or f[2] ~= token then
    settled[s] = false
  else
    local task = f[3]
    unlease(id)
    if progress ~= '' then redis.call('HSET', key, 'progress', progress) end
    pushLogs(id, ARGV, logsFrom, i - 1)
    if outcome == 'completed' then
      redis.call('HSET', key, 'status', 'completed', 'finished', now)
      redis.call('HDEL', key, 'error')
      moveIndex(id, task, 'processing', 'completed')
      dropDedupe(id, f[4])
    elseif outcome == 'failed' or outcome == 'timeout' then
      if err == '' then err = cjson.encode({ message = outcome }) end
      redis.call('HSET', key, 'status', outcome, 'finished', now, 'error', err)
      moveIndex(id, task, 'processing', outcome)
      dropDedupe(id, f[4])
    elseif outcome == 'retry' then
      if runAt == '' then runAt = now end
      redis.call('HSET', key, 'status', 'delayed', 'runAt', runAt)
      if err ~= '' then redis.call('HSET', key, 'error', err) else redis.call('HDEL', key, 'error') end
      redis.call('ZADD', delayedKey(task), runAt, id)
      moveIndex(id, task, 'processing', 'delayed')
    else
      redis.call('HSET', key, 'status', 'queued', 'attempts', math.max(0, tonumber(f[5]) - 1))
      enqueue(id, task, f[6], f[7] or f[8])
      moveIndex(id, task, 'processing', 'queued')
    end
    settled[s] = redis.call('HGETALL', key)
  end
end
local claimed = { {}, '' }
if ARGV[i] == '1' then claimed = claim(ARGV, i + 1) end
publishWakes()
return { settled, claimed[1], claimed[2] }
`;
