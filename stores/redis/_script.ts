/**
 * A Lua script run with EVALSHA, falling back to EVAL when Redis answers NOSCRIPT (after a
 * restart, a failover or SCRIPT FLUSH); EVAL caches the script again for the next call.
 * On Redis 7 the store calls the same script as a function of one library instead (see
 * `_library.ts` and `_calls.ts`); this is the way of Redis 6, a Cluster and ACLs that deny
 * FUNCTION. @module
 */

import { createHash } from "node:crypto";
import type { RedisConnection } from "./_connection.ts";
import { VERSION } from "./_version.ts";
import { trimmedScript } from "./_prelude.ts";

/** One named, versioned Lua script. */
export class RedisScript {
  /** `kinetik:<name>@<version>`, also the script's first line (so SCRIPT/SLOWLOG show it). */
  readonly name: string;
  /** The verb, as given: `claim`, `remove-job`. */
  readonly verb: string;
  readonly source: string;
  readonly sha: string;
  /** The shared libraries the script was built from, whole (the function library's parts). */
  readonly libraries: readonly string[];
  /** The script's own Lua, after the libraries. */
  readonly body: string;

  /**
   * @param name the verb, e.g. `claim`
   * @param parts the Lua: the shared libraries, then the script's own body last; only the
   *   definitions of the libraries that the body uses are kept (see `_prelude.ts`)
   */
  constructor(name: string, ...parts: string[]) {
    this.name = `kinetik:${name}@${VERSION}`;
    this.verb = name;
    this.body = parts.at(-1) ?? "";
    this.libraries = parts.slice(0, -1);
    this.source = `-- ${this.name}\n${trimmedScript(this.libraries, this.body)}`;
    this.sha = createHash("sha1").update(this.source).digest("hex");
  }

  /** Runs the script with `base` as its only key. */
  async run(
    connection: RedisConnection,
    base: string,
    args: readonly (string | number)[],
  ): Promise<unknown> {
    try {
      return await connection.call(["EVALSHA", this.sha, 1, base, ...args]);
    } catch (error) {
      if (!String((error as Error)?.message).startsWith("NOSCRIPT")) throw error;
      return await connection.call(["EVAL", this.source, 1, base, ...args]);
    }
  }
}
