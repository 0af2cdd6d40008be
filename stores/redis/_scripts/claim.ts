/**
 * claim: leases ready jobs; the design is described above `CLAIM_LIB` in `lib.ts`.
 *
 * - KEYS[1]: the base key `{kinetik:<prefix>}:`
 * - ARGV: now, leaseUntil, worker, limit, token suffix, group count, then per group its
 *   size followed by `task, maxAttempts` pairs
 * - Returns: `{ jobs, next }`: the leased records (HGETALL, with `token`), and the earliest
 *   `runAt` of a delayed job of the requested tasks when fewer than `limit` were found
 *   ('' when there is none)
 *
 * @module
 */

/** The body of the claim script (after `LIB` and `CLAIM_LIB`). */
export const CLAIM = `
local result = claim(ARGV, 1)
publishWakes()
return result
`;
