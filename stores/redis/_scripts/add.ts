/**
 * add: saves new jobs, or returns the unfinished job holding a job's dedupe key.
 *
 * - KEYS[1]: the base key `{kinetik:<prefix>}:`
 * - ARGV[1]: how many jobs; then 7 per job: task, data JSON ('' = undefined), created,
 *   runAt ('' = ready now), priority, dedupe key ('' = none, else '=' .. key), the
 *   "created" log line JSON
 * - Returns: `{ saved, listeners }`: per job, in order, the new id (a string) or the
 *   existing record (HGETALL); how many connections follow the events channel
 * - Publishes: `{"type":"wake","task":…}` for each task whose ready set was empty, when a
 *   job is ready now or due before every other delayed job of its task
 *
 * @module
 */

/** The body of the add script (after `LIB`). */
export const ADD = `
-- Index and queue entries are deferred (see \`later\` in LIB): a bulk add costs about three
-- commands per job (INCR, HSET, RPUSH), not five. Records and dedupe keys are written in the
-- loop, so a later job of the same call with the same key finds the earlier one.
local out, seen = {}, {}
local i = 2
for n = 1, tonumber(ARGV[1]) do
  local task, data, created, runAt, priority, key, log = unpack(ARGV, i, i + 6)
  i = i + 7
  if key ~= '' then key = string.sub(key, 2) else key = nil end
  local existing = key and redis.call('HGET', dedupeKey, key)
  if existing and redis.call('EXISTS', jobKey(existing)) == 1 then
    out[n] = redis.call('HGETALL', jobKey(existing))
  else
    local id = tostring(redis.call('INCR', idKey))
    local status = runAt == '' and 'queued' or 'delayed'
    local fields = { 'id', id, 'task', task, 'status', status, 'created', created,
      'attempts', '0', 'priority', priority }
    if data ~= '' then fields[#fields + 1] = 'data'; fields[#fields + 1] = data end
    if runAt ~= '' then fields[#fields + 1] = 'runAt'; fields[#fields + 1] = runAt end
    if key then
      fields[#fields + 1] = 'key'; fields[#fields + 1] = key
      redis.call('HSET', dedupeKey, key, id)
    end
    redis.call('HSET', jobKey(id), unpack(fields))
    later('SADD', indexKey(task, status), id)
    if runAt == '' then
      noteReady(task)
      later('ZADD', readyKey(task), priority, readyMember(created, id))
    else
      noteDelayed(task, runAt)
      later('ZADD', delayedKey(task), runAt, id)
    end
    -- Tasks are never removed from the set, and a job in a ready set was added here: a
    -- task whose ready set was not empty is known already.
    if not seen[task] and woken[task] ~= false then redis.call('SADD', tasksKey, task) end
    seen[task] = true
    redis.call('RPUSH', logsKey(id), log)
    out[n] = id
  end
end
flushLater()
publishWakes()
return { out, listeners() }
`;
