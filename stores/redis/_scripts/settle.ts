/**
 * settle: records run outcomes, fenced by token, then optionally claims the next jobs in
 * the same script, so a busy processor needs one round trip per batch of jobs.
 *
 * - KEYS[1]: the base key `{kinetik:<prefix>}:`
 * - ARGV[1]: maxFinished (-1: keep every finished job); ARGV[2]: how many settlements;
 *   then per settlement: id, token, outcome
 *   (completed|failed|timeout|retry|release), now, error JSON (''), runAt (''),
 *   progress JSON (''), result JSON ('' = none), '1' to get the record back or '0' (the
 *   caller knows it), log line count, the log lines (JSON); then '1' and a claim request
 *   (see `CLAIM_LIB` in `claim.ts`) or '0'
 * - Returns: `{ settled, jobs, next, listeners }`: per settlement the record afterwards
 *   (HGETALL after the writes; 1 when not asked for) or false when refused (unknown job, not processing,
 *   or another token); then
 *   the claim's result as in the claim script. Completed jobs beyond maxFinished are deleted,
 *   oldest first
 * - Publishes: a wake-up when a released job makes its task's ready set non-empty, or a
 *   retry is due before every other delayed job of an idle task
 *
 * @module
 */

/** The body of the settle script (after `LIB` and `CLAIM_LIB`). */
export const SETTLE = `
-- A settle reads only what it needs of a record, with one HMGET: status and token for the
-- fence, task and created for the index move, the dedupe key, and whether there is an error
-- or a result to clear. A release (rare) reads what requeueing needs in a second HMGET. No
-- record table is built; a caller that does not know the record gets it with HGETALL.
local settled = {}
maxFinished = tonumber(ARGV[1])
direct = tonumber(ARGV[2]) <= 1 -- and the claim's limit (see \`later\` in lib.ts)
local i = 3
for s = 1, tonumber(ARGV[2]) do
  local id, token, outcome, now, err, runAt, progress, result, want = unpack(ARGV, i, i + 8)
  local logCount = tonumber(ARGV[i + 9])
  local logsFrom = i + 10
  i = logsFrom + logCount
  local key = jobKey(id)
  local f = redis.call('HMGET', key, 'status', 'token', 'task', 'created', 'key', 'error', 'result')
  if f[1] ~= 'processing' or f[2] ~= token then
    settled[s] = false
  else
    local task, created, hasError, hasResult = f[3], f[4], f[6], f[7]
    -- The lease fields (worker, leaseUntil, token) stay as they were: only a processing
    -- record shows them (see \`decodeJob\` in \`_codec.ts\`), every fence checks the status
    -- beside the token, and the next claim writes them again. Three fields fewer per HSET.
    local status = outcome
    local set = { 'status', outcome }
    local clear
    if progress ~= '' then set[#set + 1] = 'progress'; set[#set + 1] = progress end
    if outcome == 'completed' then
      set[#set + 1] = 'finished'; set[#set + 1] = now
      if result ~= '' then set[#set + 1] = 'result'; set[#set + 1] = result end
      if hasError and hasResult and result == '' then clear = { 'error', 'result' }
      elseif hasError then clear = { 'error' }
      elseif hasResult and result == '' then clear = { 'result' } end
    elseif outcome == 'failed' or outcome == 'timeout' then
      if err == '' then err = cjson.encode({ message = outcome }) end
      set[#set + 1] = 'finished'; set[#set + 1] = now
      set[#set + 1] = 'error'; set[#set + 1] = err
    elseif outcome == 'retry' then
      if runAt == '' then runAt = now end
      status = 'delayed'
      set[#set + 1] = 'runAt'; set[#set + 1] = runAt
      if err ~= '' then
        set[#set + 1] = 'error'; set[#set + 1] = err
      elseif hasError then
        clear = { 'error' }
      end
    else
      status = 'queued'
      local r = redis.call('HMGET', key, 'attempts', 'priority', 'runAt')
      set[#set + 1] = 'attempts'; set[#set + 1] = math.max(0, tonumber(r[1]) - 1)
      enqueue(id, task, r[2], r[3] or created)
    end
    set[2] = status
    redis.call('HSET', key, unpack(set))
    if clear then redis.call('HDEL', key, unpack(clear)) end
    later('ZREM', leasesKey, id)
    moveIndexLater(id, task, created, 'processing', status)
    pushLogs(id, ARGV, logsFrom, i - 1)
    if outcome == 'retry' then
      delay(id, task, runAt)
    elseif outcome ~= 'release' then
      finish(id, f[5], outcome, now)
    end
    if want == '1' then settled[s] = redis.call('HGETALL', key) else settled[s] = 1 end
  end
end
local claimed = { {}, '' }
if ARGV[i] == '1' then claimed = claim(ARGV, i + 1) end
flushLater()
trimFinished()
publishWakes()
return { settled, claimed[1], claimed[2], listeners() }
`;
