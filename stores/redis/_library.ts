/**
 * The store's scripts as one Redis Functions library (Redis 7 and later), loaded once per
 * server with `FUNCTION LOAD REPLACE` and called with FCALL. Private to the Redis store.
 *
 * Why: Redis runs an EVALSHA script's whole text on every call, so each `local function` of
 * the shared libraries is a closure built per call (7 µs of the add script's 33 µs on the
 * benchmark machine, 12 µs of a settle-and-claim call's 100). A function library runs its
 * top level once, at load: the shared definitions become locals of the library that every
 * registered function reaches as upvalues.
 *
 * What changes against a script, and how the text is rewritten for it:
 *
 * - A library may not read KEYS or ARGV at load (they do not exist then) nor keep per-call
 *   state from one call to the next. So every value definition (`local x = …`, not a
 *   function) is declared at the top (`local x`) and assigned at the start of each function
 *   that needs it, directly or through a helper (`x = …`, the same text without `local`):
 *   the key names built from the base key, the deferred-write tables, `direct`,
 *   `maxFinished`. Only the constants named in `LOADED_ONCE` are built once, at load; none
 *   of them is ever assigned, which `functionLibrary()` checks.
 * - KEYS and ARGV become the function's parameters (same names, so bodies stay as they are).
 * - Lua 5.1 lets a function reach at most 60 locals of enclosing functions (upvalues), and a
 *   function hold at most 200 locals: checked here, so a library that grows past either
 *   fails at import with the script's name rather than at FUNCTION LOAD.
 * - Function names are global across a server's libraries: they carry the library's
 *   content hash (`kinetik_<hash>_<verb>`), as its name does (`kinetik_<hash>`), so two
 *   Kinetik versions on one server load side by side and never replace each other's.
 * - The scripts that only read are registered `no-writes`, so, as with EVAL, they still
 *   run when Redis is out of memory.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { type Block, blocks, identifiers, neededBlocks } from "./_prelude.ts";
import type { RedisScript } from "./_script.ts";

/** A library of functions, ready for `FUNCTION LOAD REPLACE`. */
export interface FunctionLibrary {
  /** `kinetik_<hash>`, as in the first line of `source`. */
  name: string;
  /** The library's Lua, starting with `#!lua name=…`. */
  source: string;
  /** The function registered for each script. */
  functions: ReadonlyMap<RedisScript, string>;
}

/**
 * The value definitions of the shared libraries that are constants: built once, when the
 * library loads. Any other value definition is assigned again per call (see the module doc).
 */
export const LOADED_ONCE: ReadonlySet<string> = new Set([
  "STATUSES",
  "WAITING",
  "ZEROS",
  "LEASE_FIELDS",
  "DELETE_FIELDS",
  "LEASED_FIELDS",
  "keepWindows",
]);

/** Lua 5.1's limits (LUAI_MAXUPVALUES, LUAI_MAXVARS). */
const MAX_UPVALUES = 60;
const MAX_LOCALS = 200;
const HASH = "__KINETIK_LIBRARY_HASH__";

/**
 * One library registering a function per script in `scripts`, those of `readOnly` with the
 * `no-writes` flag.
 *
 * @throws {SyntaxError} when a constant of `LOADED_ONCE` is assigned somewhere, or a
 *   function would pass Lua's limits on upvalues or locals
 */
export function functionLibrary(
  scripts: readonly RedisScript[],
  readOnly: ReadonlySet<RedisScript> = new Set(),
): FunctionLibrary {
  const libraries = [...new Set(scripts.flatMap((script) => script.libraries))];
  const all = libraries.flatMap(blocks);
  const defined = new Set(all.flatMap((block) => block.names));
  if (defined.size > MAX_LOCALS - 10) {
    throw new SyntaxError(
      `Cannot build the Redis function library as its top level would hold more than ${
        MAX_LOCALS - 10
      } locals: current value is ${defined.size}`,
    );
  }
  checkConstants(all, [...libraries, ...scripts.map((script) => script.body)]);
  const top = all.map((block) => isPerCall(block) ? declaration(block) : block.text);
  const registrations = scripts.map((script) => {
    const resets = neededBlocks(all, script.body).filter(isPerCall).map(assignment);
    const text = [...resets, script.body].join("\n");
    const upvalues = [...identifiers(text)].filter((name) => defined.has(name)).length;
    if (upvalues > MAX_UPVALUES) {
      throw new SyntaxError(
        `Cannot build the Redis function ${script.verb} as it would reach more than ${MAX_UPVALUES} upvalues: current value is ${upvalues}`,
      );
    }
    const flags = readOnly.has(script) ? "{ 'no-writes' }" : "{}";
    return `redis.register_function{ function_name = '${functionName(HASH, script)}', ` +
      `flags = ${flags}, callback = function(KEYS, ARGV)\n${text}\nend }`;
  });
  const body = [...top, ...registrations].join("\n");
  const hash = createHash("sha1").update(body).digest("hex").slice(0, 16);
  const name = `kinetik_${hash}`;
  return {
    name,
    source: `#!lua name=${name}\n${body.replaceAll(HASH, hash)}`,
    functions: new Map(scripts.map((script) => [script, functionName(hash, script)])),
  };
}

/** `kinetik_<hash>_<verb>`, the verb's dashes as underscores (names are `[A-Za-z0-9_]`). */
function functionName(hash: string, script: RedisScript): string {
  return `kinetik_${hash}_${script.verb.replaceAll("-", "_")}`;
}

function isPerCall(block: Block): boolean {
  return !block.isFunction && !block.names.every((name) => LOADED_ONCE.has(name));
}

/** The block's comments and `local <names>`: declared at the top, assigned per call. */
function declaration(block: Block): string {
  const lines = block.text.split("\n");
  const first = lines.findIndex((line) => line.startsWith("local "));
  return [...lines.slice(0, first), `local ${block.names.join(", ")}`].join("\n");
}

/** The block's statement without its comments and `local`: `<names> = <values>`. */
function assignment(block: Block): string {
  const lines = block.text.split("\n");
  const first = lines.findIndex((line) => line.startsWith("local "));
  return lines.slice(first).join("\n").replace(/^local /, "");
}

/**
 * Refuses a constant that some Lua assigns, or whose entries it assigns: kept from one call
 * to the next, a change would leak into every later call.
 */
function checkConstants(all: readonly Block[], sources: readonly string[]): void {
  const code = sources.map((source) => source.replace(/--[^\n]*/g, "")).join("\n");
  for (const block of all) {
    if (isPerCall(block) || block.isFunction) continue;
    for (const name of block.names) {
      const assigned = new RegExp(
        `(?<!local\\s+)\\b${name}\\s*(?:\\[[^\\]]*\\]|\\.\\w+)*\\s*=(?!=)|table\\.(?:insert|remove|sort)\\(\\s*${name}\\b`,
      );
      if (assigned.test(code)) {
        throw new SyntaxError(
          `Cannot build the Redis function library as a constant is assigned: current value is ${name}`,
        );
      }
    }
  }
}
