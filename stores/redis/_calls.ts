/**
 * How the store calls its scripts: as functions of one library with FCALL on Redis 7 and
 * later, else with EVALSHA (`_script.ts`). Private to the Redis store.
 *
 * The server decides, by its answers rather than by its version, so a proxy or a managed
 * Redis that hides or renames FUNCTION is handled as Redis 6 is:
 *
 * - The first call is an FCALL. "Function not found" (a server that never saw this library,
 *   one restarted without persistence, a `FUNCTION FLUSH`) loads the library with
 *   `FUNCTION LOAD REPLACE` and retries once; the calls that fail meanwhile wait for the
 *   same load. Nothing ran, so the retry cannot repeat a write.
 * - FCALL unknown or denied by an ACL, or a load that Redis refuses (ACL, `FUNCTION`
 *   renamed, a server whose Lua cannot take the library): the store switches to EVALSHA for
 *   good, with no error. A load that fails for want of a connection is the caller's error,
 *   as any call's, and the next "not found" tries again.
 * - A Redis Cluster (an ioredis `Cluster` passed in) uses EVALSHA from the start: a library
 *   would have to be loaded on every primary, and again on one that a failover or a new
 *   shard brings, while EVALSHA's fallback to EVAL caches the script on whichever node
 *   answers.
 * - Other libraries are never touched: another Kinetik version's has another name.
 *
 * @module
 */

import type { RedisConnection } from "./_connection.ts";
import type { Arg } from "./_resp.ts";
import type { RedisScript } from "./_script.ts";
import { LIBRARY } from "./_scripts.ts";
import type { FunctionLibrary } from "./_library.ts";

/**
 * Whether new stores try Redis Functions. An object with a writable field, not a constant,
 * for the tests of the EVALSHA way (on a Redis 7 server) and the benchmarks that compare
 * the two.
 */
export const redisFunctions = { enabled: true };

/** "Function not found": the library is not loaded on this server (any more). */
const NOT_LOADED = /^ERR Function not found/;
/**
 * FCALL itself unknown (Redis 6) or denied by an ACL. (A command denied inside a function
 * is named in its own error, which then is the caller's, as it would be with EVALSHA.)
 */
const NO_FCALL = /^(?:ERR unknown command|NOPERM\b)[^,]*?['`]fcall['`]/i;
/** Replies that say "not now" rather than "no": a load refused so is the caller's error. */
const TRANSIENT = /^(?:LOADING|BUSY|TRYAGAIN|MASTERDOWN|CLUSTERDOWN)\b/;

/** Runs the store's scripts on one connection, as functions while the server allows. */
export class ScriptCalls {
  #connection: RedisConnection;
  #library: FunctionLibrary;
  #useFunctions: boolean;
  #loading?: Promise<boolean>;

  /**
   * @param useFunctions `false` for EVALSHA only; a Cluster connection never uses functions
   * @param library the library to load (the store's own; a test may pass another)
   */
  constructor(
    connection: RedisConnection,
    useFunctions: boolean = redisFunctions.enabled,
    library: FunctionLibrary = LIBRARY,
  ) {
    this.#connection = connection;
    this.#library = library;
    this.#useFunctions = useFunctions && !connection.isCluster;
  }

  /** Whether calls go out as FCALL (until the server says it cannot take them). */
  get usesFunctions(): boolean {
    return this.#useFunctions;
  }

  /** Runs `script` with `base` as its only key. */
  async run(script: RedisScript, base: string, args: readonly Arg[]): Promise<unknown> {
    const name = this.#useFunctions ? this.#library.functions.get(script) : undefined;
    // (A script outside the library, which the store's never are, runs as a script too.)
    if (name === undefined) return await script.run(this.#connection, base, args);
    const command: Arg[] = ["FCALL", name, 1, base];
    for (const arg of args) command.push(arg);
    try {
      return await this.#connection.call(command);
    } catch (error) {
      const message = String((error as Error)?.message);
      if (NO_FCALL.test(message)) {
        this.#useFunctions = false;
      } else if (!NOT_LOADED.test(message)) {
        throw error;
      } else if (await this.#load()) {
        return await this.#connection.call(command);
      }
      return await script.run(this.#connection, base, args);
    }
  }

  /** Loads the library, once for all the calls that wait; `false` when Redis refused it. */
  #load(): Promise<boolean> {
    this.#loading ??= this.#connection.call(["FUNCTION", "LOAD", "REPLACE", this.#library.source])
      .then(() => true, (error) => {
        // A reply is Redis saying no; anything else (a lost connection) may pass.
        const isRefusal = (error as Error)?.name === "ReplyError" &&
          !TRANSIENT.test((error as Error).message);
        if (!isRefusal) throw error;
        this.#useFunctions = false;
        return false;
      })
      .finally(() => this.#loading = undefined);
    return this.#loading;
  }
}
