/**
 * The metrics scripts: one hash per minute (`<base>metrics:<minute>`) whose fields are
 * `<task>:c` (completed), `<task>:f` (failed) and `<task>:<bucket>` (runs per run-time
 * bucket), and a zset of the minutes (`<base>metrics`) to read and prune them by time.
 *
 * @module
 */

/**
 * record-metrics: adds samples with HINCRBY (counts and histogram buckets of one task and
 * minute sum wherever they were counted), then drops the minutes older than the cutoff. Each
 * touched hash and the zset get an EXPIRE of 25 hours, a net for a queue that stops writing
 * (the drop by the caller's time is what keeps the 24 hours exact).
 *
 * - KEYS[1]: the base key
 * - ARGV: cutoff (epoch ms: minutes before it go), ttl (seconds), then per sample: minute,
 *   task, completed, failed, bucket count, and that many (bucket, runs) pairs
 * - Returns: the number of minutes dropped
 */
export const RECORD_METRICS = `
local minutesKey = base .. 'metrics'
local cutoff, ttl = ARGV[1], tonumber(ARGV[2])
local i = 3
while i <= #ARGV do
  local minute, task, completed, failed = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  local buckets = tonumber(ARGV[i + 4])
  local key = minutesKey .. ':' .. minute
  if completed ~= '0' then redis.call('HINCRBY', key, task .. ':c', completed) end
  if failed ~= '0' then redis.call('HINCRBY', key, task .. ':f', failed) end
  for b = 1, buckets do
    local at = i + 3 + 2 * b
    redis.call('HINCRBY', key, task .. ':' .. ARGV[at], ARGV[at + 1])
  end
  redis.call('EXPIRE', key, ttl)
  redis.call('ZADD', minutesKey, minute, minute)
  i = i + 5 + 2 * buckets
end
local old = redis.call('ZRANGEBYSCORE', minutesKey, '-inf', '(' .. cutoff)
for _, minute in ipairs(old) do redis.call('DEL', minutesKey .. ':' .. minute) end
if #old > 0 then redis.call('ZREMRANGEBYSCORE', minutesKey, '-inf', '(' .. cutoff) end
if redis.call('EXISTS', minutesKey) == 1 then redis.call('EXPIRE', minutesKey, ttl) end
return #old
`;

/**
 * read-metrics: the hashes of the minutes at or after `since`, oldest first.
 *
 * - KEYS[1]: the base key; ARGV: since (epoch ms)
 * - Returns: minute, HGETALL of its hash, minute, HGETALL, …
 */
export const READ_METRICS = `
local minutesKey = base .. 'metrics'
local out = {}
for _, minute in ipairs(redis.call('ZRANGEBYSCORE', minutesKey, ARGV[1], '+inf')) do
  out[#out + 1] = minute
  out[#out + 1] = redis.call('HGETALL', minutesKey .. ':' .. minute)
end
return out
`;
