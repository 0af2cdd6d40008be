/**
 * add: saves new jobs, or returns the unfinished job holding a job's dedupe key.
 *
 * - KEYS[1]: the base key `{kinetik:<prefix>}:`
 * - ARGV[1]: how many jobs; then per job: task, data JSON ('' = undefined), created,
 *   runAt ('' = ready now), priority, dedupe key ('' = none, else '=' .. key), the
 *   "created" log line JSON, a count n of extra fields, then n `field, value` pairs stored
 *   as they are (the per-job overrides `retry`, `timeout`, `maxAttempts` with the marker
 *   `ownMaxAttempts`, and `trace`)
 * - Returns: `{ saved, listeners }`: per job, in order, the new id (a string) or the
 *   existing record (HGETALL); how many connections follow the events channel
 * - Publishes: `{"type":"wake","task":…}` for each task whose ready set was empty, when a
 *   job is ready now or due before every other delayed job of its task
 *
 * @module
 */

/**
 * The add itself, shared by the add and fire scripts: `addJobs(args, i, count)` saves the
 * `count` jobs whose arguments start at `args[i]` (the layout above) and returns the reply
 * per job. The caller flushes the deferred writes and publishes the wake-ups.
 */
export const ADD_LIB = `
-- A bulk add costs about one command per job, HSET, instead of five:
-- - index and queue entries are deferred (see \`later\` in LIB); records and dedupe keys are
--   written in the loop, so a later job of the same call with the same key finds the earlier;
-- - the "created" log line is the record's \`log\` field, not a list's first entry: no second
--   key per job (see \`LOGS\`);
-- - ids come from one INCRBY for the whole call; a job deduplicated by its key leaves a gap
--   in the sequence, which nothing relies on.
local function addJobs(args, i, count)
  local lastId = redis.call('INCRBY', idKey, count)
  local out, seen = {}, {}
  for n = 1, count do
    local task, data, created, runAt, priority, key, log = unpack(args, i, i + 6)
    local extraFrom, extraTo = i + 8, i + 7 + 2 * tonumber(args[i + 7])
    i = extraTo + 1
    if key ~= '' then key = string.sub(key, 2) else key = nil end
    local existing = key and redis.call('HGET', dedupeKey, key)
    if existing and redis.call('EXISTS', jobKey(existing)) == 1 then
      out[n] = redis.call('HGETALL', jobKey(existing))
    else
      local id = string.format('%d', lastId - count + n) -- about half of tostring()'s cost
      local status = runAt == '' and 'queued' or 'delayed'
      local fields = { 'id', id, 'task', task, 'status', status, 'created', created,
        'attempts', '0', 'priority', priority, 'log', log }
      if data ~= '' then fields[#fields + 1] = 'data'; fields[#fields + 1] = data end
      if runAt ~= '' then fields[#fields + 1] = 'runAt'; fields[#fields + 1] = runAt end
      for e = extraFrom, extraTo do fields[#fields + 1] = args[e] end
      if key then
        fields[#fields + 1] = 'key'; fields[#fields + 1] = key
        redis.call('HSET', dedupeKey, key, id)
      end
      redis.call('HSET', jobKey(id), unpack(fields))
      later('ZADD', indexKey(task, status), '0', indexMember(created, id))
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
      out[n] = id
    end
  end
  return out
end
`;

/** The body of the add script (after `LIB` and `ADD_LIB`). */
export const ADD = `
direct = ARGV[1] == '1'
local out = addJobs(ARGV, 2, tonumber(ARGV[1]))
flushLater()
publishWakes()
return { out, listeners() }
`;
