/**
 * claim: leases ready jobs. `CLAIM_LIB` holds the claim itself (settle reuses it to claim
 * the next jobs in the same call); `CLAIM` is the script that runs it alone.
 *
 * - KEYS[1]: the base key `{kinetik:<prefix>}:`
 * - ARGV: now, leaseUntil, worker, limit, token suffix, group count, then per group its
 *   size followed by `task, maxAttempts` pairs
 * - Returns: `{ jobs, next, listeners }`: the leased records (each one JSON object of
 *   string field values, with `token`: one string to decode rather than two per field), the earliest `runAt` of a delayed job of the requested tasks when fewer than
 *   `limit` were found ('' when there is none), and how many connections follow the
 *   events channel
 * - Publishes: a wake-up when promoting due delayed jobs makes a ready set non-empty
 *
 * @module
 */

/**
 * The claim, shared by the claim and settle scripts: `claim(args, i)` reads a claim request
 * from `args` starting at index `i` and returns `{ jobs, next }, i`.
 *
 * Why it is built this way:
 *
 * - **Per-task ready sets.** Tags live in the processes (a tag is a group of task names in
 *   the request), not in Redis, so every task has its own ready zset. Score = `priority`,
 *   member = 16-digit ready time then 16-digit id: Redis orders equal scores by member, so
 *   ZPOPMIN yields exactly the contract's order (priority, then the time the job became
 *   ready, then creation order) for any priority value, with no precision packed into a
 *   float. A group of one task takes its whole share with one ZPOPMIN; a group of several
 *   merges the heads of its tasks' sets, one ZRANGE per job taken.
 * - **Delayed jobs are promoted here**, not by a timer: each claim first moves the due jobs
 *   of the tasks it asks for (up to 1,000 per task) from their `runAt` zset into the ready
 *   set. Their record stays `delayed` until claimed, as in every store. When fewer jobs than
 *   asked were found, `next` is the earliest `runAt` still waiting, so an idle processor
 *   sleeps exactly that long.
 * - **A lease is a zset entry.** Each leased job gets status, attempts, started, worker,
 *   `leaseUntil`, maxAttempts and a fresh token in one HSET, moves from its status index to
 *   `processing` (ZREM + ZADD, batched per call) and enters the lease zset by `leaseUntil`, which `recover`
 *   range-reads (no scan of processing jobs). Renewal just moves the score.
 * - **One round trip per turn.** The record is read once (HGETALL) and returned from memory
 *   after the writes; settle calls this same function after recording outcomes, so a busy
 *   processor settles a batch and refills its slots in one EVALSHA. About 4 commands per
 *   claimed job, plus one ZPOPMIN and one promote check per task and call.
 *
 * Everything runs inside one script, so no other client ever sees a half-claimed job, and
 * two claimers can never take the same one.
 */
export const CLAIM_LIB = `
local function promote(task, now)
  local key = delayedKey(task)
  local due = redis.call('ZRANGEBYSCORE', key, '-inf', now, 'LIMIT', 0, 1000)
  if #due == 0 then return end
  for _, id in ipairs(due) do
    local f = redis.call('HMGET', jobKey(id), 'priority', 'runAt', 'created')
    if f[1] then enqueue(id, task, f[1], f[2] or f[3]) end
  end
  redis.call('ZREM', key, unpack(due))
end

local function lease(id, task, maxAttempts, request, out)
  local job = readJob(id)
  if not job then return end
  local from = job.status
  update(id, job, { 'status', 'processing', 'attempts', tonumber(job.attempts) + 1,
    'started', request.now, 'worker', request.worker, 'leaseUntil', request.leaseUntil,
    'maxAttempts', maxAttempts, 'token', id .. '.' .. request.suffix })
  moveIndexLater(id, task, job.created, from, 'processing')
  later('ZADD', leasesKey, request.leaseUntil, id)
  job.log = nil -- the "created" log line: only logs() reads it
  out[#out + 1] = cjson.encode(job)
end

local function headOf(key) return redis.call('ZRANGE', key, 0, 0, 'WITHSCORES') end
local function before(a, b)
  local x, y = tonumber(a[2]), tonumber(b[2])
  if x ~= y then return x < y end
  return a[1] < b[1]
end

local function claim(args, i)
  local request = { now = args[i], leaseUntil = args[i + 1], worker = args[i + 2],
    suffix = args[i + 4] }
  local limit = tonumber(args[i + 3])
  local groupCount = tonumber(args[i + 5])
  i = i + 6
  local out, tasks = {}, {}
  for _ = 1, groupCount do
    local size = tonumber(args[i])
    i = i + 1
    local group = {}
    for t = 1, size do
      group[t] = { task = args[i], max = args[i + 1], key = readyKey(args[i]) }
      tasks[#tasks + 1] = args[i]
      promote(args[i], request.now)
      i = i + 2
    end
    if size == 1 and #out < limit then
      local popped = redis.call('ZPOPMIN', group[1].key, limit - #out)
      for p = 1, #popped, 2 do lease(memberId(popped[p]), group[1].task, group[1].max, request, out) end
    elseif size > 1 then
      local heads = {}
      for t, entry in ipairs(group) do heads[t] = headOf(entry.key) end
      while #out < limit do
        local best
        for t, head in ipairs(heads) do
          if head[1] and (not best or before(head, heads[best])) then best = t end
        end
        if not best then break end
        local entry = group[best]
        redis.call('ZREM', entry.key, heads[best][1])
        lease(memberId(heads[best][1]), entry.task, entry.max, request, out)
        heads[best] = headOf(entry.key)
      end
    end
  end
  local nextAt = ''
  if #out < limit then
    for _, task in ipairs(tasks) do
      local head = headOf(delayedKey(task))
      if head[2] and (nextAt == '' or tonumber(head[2]) < tonumber(nextAt)) then nextAt = head[2] end
    end
  end
  return { out, nextAt }, i
end
`;

/** The claim script's body (after `LIB` and `CLAIM_LIB`). */
export const CLAIM = `
local result = claim(ARGV, 1)
flushLater()
publishWakes()
return { result[1], result[2], listeners() }
`;
