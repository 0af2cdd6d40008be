/**
 * renew: extends the leases still held, writing each one's log lines and progress with it.
 *
 * - KEYS[1]: the base key `{kinetik:<prefix>}:`
 * - ARGV: leaseUntil, then per lease: id, token, progress JSON ('' = none), log line count,
 *   the log lines (JSON)
 * - Returns: per lease, 1 when the lease was extended (and its lines and progress written),
 *   0 when it was lost (nothing written)
 *
 * @module
 */

/** The body of the renew script (after `LIB`). */
export const RENEW = `
local out = {}
local i = 2
while i <= #ARGV do
  local id, token, progress = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  local logsFrom = i + 4
  i = logsFrom + tonumber(ARGV[i + 3])
  local f = redis.call('HMGET', jobKey(id), 'status', 'token')
  if f[1] == 'processing' and f[2] == token then
    if progress == '' then
      redis.call('HSET', jobKey(id), 'leaseUntil', ARGV[1])
    else
      redis.call('HSET', jobKey(id), 'leaseUntil', ARGV[1], 'progress', progress)
    end
    redis.call('ZADD', leasesKey, ARGV[1], id)
    pushLogs(id, ARGV, logsFrom, i - 1)
    out[#out + 1] = 1
  else
    out[#out + 1] = 0
  end
end
return out
`;
