/**
 * claim: leases ready jobs. `CLAIM_LIB` holds the claim itself (settle reuses it to claim
 * the next jobs in the same call); `CLAIM` is the script that runs it alone.
 *
 * - KEYS[1]: the base key `{kinetik:<prefix>}:`
 * - ARGV: now, leaseUntil, worker, limit, token suffix, group count, then per group its
 *   tag ('' = none), its size and `task, maxAttempts` pairs; then the limits section (see
 *   `readLimits` in `limits.ts`): a count, then `task, rate max, rate per, concurrency`
 *   ('' = none) per limited task
 * - Returns: `{ jobs, next, listeners }`: per leased job its id, then its fields as they
 *   were before the claim, in the order of {@linkcode LEASED_FIELDS} (nil when absent; the
 *   caller applies the claim's own writes, which all come from its request); when fewer
 *   than `limit` were found, the earliest time more may be claimable (the
 *   `runAt` of a delayed job of the requested tasks, or when a rate window that held ready
 *   jobs back reopens; '' when there is none); and how many connections follow the events
 *   channel
 * - Publishes: a wake-up when promoting due delayed jobs makes a ready set non-empty
 *
 * @module
 */

/**
 * The record fields a claim reads of each job it leases and returns, in this order (the
 * Lua in `lease` reads the first six by position).
 */
export const LEASED_FIELDS = [
  "task",
  "status",
  "created",
  "attempts",
  "ownMaxAttempts",
  "maxAttempts",
  "data",
  "runAt",
  "priority",
  "key",
  "error",
  "progress",
  "result",
  "retry",
  "timeout",
  "trace",
] as const;

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
 *   `leaseUntil`, maxAttempts (the request's, unless the job was saved with its own, marked
 *   by `ownMaxAttempts`) and a fresh token in one HSET, moves from its status index to
 *   `processing` (ZREM + ZADD, batched per call) and enters the lease zset by `leaseUntil`,
 *   which `recover` range-reads (no scan of processing jobs). Renewal just moves the score.
 * - **Pauses and limits inside the claim** (see `limits.ts`): groups of a paused tag and
 *   paused tasks are passed over; a limited task takes at most what its rate window and its
 *   running count leave, and the claim goes on with the other tasks of the group in order.
 *   Work with neither pays one SMEMBERS per call.
 * - **One round trip per turn.** The fields of a record are read once (HMGET, in a fixed
 *   order) and returned as they were: every value the claim writes comes from the request,
 *   so the caller applies them itself and Lua builds no table and encodes no JSON per job.
 *   Settle calls this same function after recording outcomes, so a busy processor settles a
 *   batch and refills its slots in one EVALSHA. About 4 commands per claimed job, plus one
 *   ZPOPMIN and one promote check per task and call.
 *
 * Everything runs inside one script, so no other client ever sees a half-claimed job, and
 * two claimers can never take the same one.
 */
export const CLAIM_LIB = `
local LEASED_FIELDS = { ${LEASED_FIELDS.map((field) => `'${field}'`).join(", ")} }
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

local function lease(id, entry, request, out)
  local key = jobKey(id)
  local f = redis.call('HMGET', key, unpack(LEASED_FIELDS))
  if not f[2] then return end
  local token = id .. '.' .. request.suffix
  redis.call('HSET', key, 'status', 'processing', 'attempts', tonumber(f[4]) + 1,
    'started', request.now, 'worker', request.worker, 'leaseUntil', request.leaseUntil,
    'maxAttempts', f[5] and f[6] or entry.max, 'token', token)
  moveIndexLater(id, entry.task, f[3], f[2], 'processing')
  later('ZADD', leasesKey, request.leaseUntil, id)
  out[#out + 1] = id
  out[#out + 1] = f
  if entry.limit then
    entry.byRate, entry.byConcurrency = entry.byRate - 1, entry.byConcurrency - 1
    noteStart(entry.task, entry.limit, request.now, token)
  end
end

local function headOf(key) return redis.call('ZRANGE', key, 0, 0, 'WITHSCORES') end
local function before(a, b)
  local x, y = tonumber(a[2]), tonumber(b[2])
  if x ~= y then return x < y end
  return a[1] < b[1]
end
local function taken(out) return #out / 2 end
local function room(entry) return math.min(entry.byRate, entry.byConcurrency) end

local function claim(args, i)
  local request = { now = args[i], leaseUntil = args[i + 1], worker = args[i + 2],
    suffix = args[i + 4] }
  local limit = tonumber(args[i + 3])
  if limit > 1 then direct = false end
  local groupCount = tonumber(args[i + 5])
  i = i + 6
  local groups = {}
  for g = 1, groupCount do
    local group = { tag = args[i] }
    local size = tonumber(args[i + 1])
    i = i + 2
    for t = 1, size do
      group[t] = { task = args[i], max = args[i + 1], key = readyKey(args[i]),
        byRate = math.huge, byConcurrency = math.huge }
      i = i + 2
    end
    groups[g] = group
  end
  local limits
  limits, i = readLimits(args, i)
  local paused = readPaused()
  -- Concurrency counts the processing index: let a settle's deferred moves land first.
  if limits then flushLater() end

  local out, live, held = {}, {}, {}
  -- out holds two entries per job (id, fields): taken(out) is the number of jobs.
  for _, group in ipairs(groups) do
    if not (paused and paused['tag:' .. group.tag]) then
      local entries = {}
      for _, entry in ipairs(group) do
        if not (paused and paused['task:' .. entry.task]) then
          promote(entry.task, request.now)
          live[#live + 1] = entry.task
          entry.limit = limits and limits[entry.task]
          if entry.limit then
            entry.byRate, entry.byConcurrency = allowance(entry.task, entry.limit, request.now)
            held[#held + 1] = entry
          end
          entries[#entries + 1] = entry
        end
      end
      if #entries == 1 and taken(out) < limit then
        local entry = entries[1]
        local take = math.min(limit - taken(out), room(entry))
        if take > 0 then
          local popped = redis.call('ZPOPMIN', entry.key, take)
          for p = 1, #popped, 2 do lease(memberId(popped[p]), entry, request, out) end
        end
      elseif #entries > 1 then
        local heads = {}
        for t, entry in ipairs(entries) do heads[t] = room(entry) > 0 and headOf(entry.key) or {} end
        while taken(out) < limit do
          local best
          for t, head in ipairs(heads) do
            if head[1] and (not best or before(head, heads[best])) then best = t end
          end
          if not best then break end
          local entry = entries[best]
          redis.call('ZREM', entry.key, heads[best][1])
          lease(memberId(heads[best][1]), entry, request, out)
          heads[best] = room(entry) > 0 and headOf(entry.key) or {}
        end
      end
    end
  end
  -- next: the caller's own text of a runAt, so it comes back exactly as it went in.
  local nextAt, nextText = math.huge, ''
  if taken(out) < limit then
    for _, task in ipairs(live) do
      local head = headOf(delayedKey(task))
      if head[2] and tonumber(head[2]) < nextAt then nextAt, nextText = tonumber(head[2]), head[2] end
    end
    for _, entry in ipairs(held) do
      local reopens = entry.byRate <= 0 and reopensAt(entry.task, entry.limit, request.now)
      if reopens and reopens < nextAt then
        nextAt, nextText = reopens, string.format('%.17g', reopens)
      end
    end
  end
  return { out, nextText }, i
end
`;

/** The claim script's body (after `LIB` and `CLAIM_LIB`). */
export const CLAIM = `
direct = true -- unless the claim asks for more than one job
local result = claim(ARGV, 1)
flushLater()
publishWakes()
return { result[1], result[2], listeners() }
`;
