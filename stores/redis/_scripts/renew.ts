/**
 * renew: extends the leases still held.
 *
 * - KEYS[1]: the base key `{kinetik:<prefix>}:`
 * - ARGV: leaseUntil, then `id, token` pairs
 * - Returns: per pair, 1 when the lease was extended, 0 when it was lost
 *
 * @module
 */

/** The body of the renew script (after `LIB`). */
export const RENEW = `
local out = {}
for i = 2, #ARGV, 2 do
  local id = ARGV[i]
  local f = redis.call('HMGET', jobKey(id), 'status', 'token')
  if f[1] == 'processing' and f[2] == ARGV[i + 1] then
    redis.call('HSET', jobKey(id), 'leaseUntil', ARGV[1])
    redis.call('ZADD', leasesKey, ARGV[1], id)
    out[#out + 1] = 1
  else
    out[#out + 1] = 0
  end
end
return out
`;
