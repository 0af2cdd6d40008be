/**
 * pause, resume and paused: the paused set (`paused`, members `tag:<name>` and
 * `task:<name>`), which every claim reads (see `limits.ts`).
 *
 * @module
 */

/**
 * pause: adds tags and tasks to the paused set.
 *
 * - KEYS[1]: the base key; ARGV: the members (`tag:<name>`, `task:<name>`)
 * - Returns: 1
 */
export const PAUSE = `
redis.call('SADD', base .. 'paused', unpack(ARGV))
return 1
`;

/**
 * resume: removes tags and tasks from the paused set and wakes every processor.
 *
 * - KEYS[1]: the base key; ARGV: the members (`tag:<name>`, `task:<name>`)
 * - Returns: 1
 * - Publishes: `{"type":"wake"}` (no task: every processor claims again)
 */
export const RESUME = `
redis.call('SREM', base .. 'paused', unpack(ARGV))
redis.call('PUBLISH', channel, '{"type":"wake"}')
return 1
`;

/**
 * paused: the paused set.
 *
 * - KEYS[1]: the base key; ARGV: none
 * - Returns: its members
 */
export const PAUSED = `
return redis.call('SMEMBERS', base .. 'paused')
`;
