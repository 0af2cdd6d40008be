/**
 * The package version, carried in every Lua script's name and first line so that two
 * Kinetik versions sharing one Redis never run each other's scripts (their SHA1s differ).
 * `tests/redis_store_test.ts` checks it against deno.json. @module
 */

/** Kinetik's version, as in deno.json. */
export const VERSION = "0.1.0";
