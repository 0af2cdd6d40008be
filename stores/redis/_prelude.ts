/**
 * Trims the shared Lua libraries to what one script uses. Redis runs a script's whole text
 * on every call, so each `local function` of the prelude is a closure built per call, and
 * each table constructor a table: the full prelude of the claim and settle scripts cost
 * about 10–14 µs a call on the benchmark machine (an empty script 1.4 µs), as much as the
 * Redis commands of one job at concurrency 1. Private to the Redis store. @module
 */

/** One top-level definition of a library: its text (comments above it included) and names. */
export interface Block {
  text: string;
  names: string[];
  /** Identifiers it refers to, comments left out. */
  uses: Set<string>;
  /** `local function …`, rather than `local <names> = <values>`. */
  isFunction: boolean;
}

const IDENTIFIER = /[A-Za-z_][A-Za-z0-9_]*/g;

/** The identifiers of Lua source, comments left out (strings stay in: a few extra names). */
export function identifiers(source: string): Set<string> {
  return new Set(source.replace(/--[^\n]*/g, "").match(IDENTIFIER) ?? []);
}

/**
 * Splits a library into its top-level definitions: each starts at a line beginning with
 * `local` (the comment lines right above it belong to it) and runs to the next. Every
 * library here holds only such definitions; anything else is refused, so a statement can
 * never be dropped unseen.
 */
export function blocks(library: string): Block[] {
  let found = parsed.get(library);
  if (found) return found;
  found = parseBlocks(library);
  parsed.set(library, found);
  return found;
}

/**
 * The blocks of each library text seen: every script and the function library split the same
 * few libraries again (28 scripts and a library), which was most of this module's work at import.
 */
const parsed = new Map<string, Block[]>();

function parseBlocks(library: string): Block[] {
  const found: Block[] = [];
  let comments: string[] = [];
  let current: string[] | undefined;
  const close = () => {
    if (!current) return;
    const text = current.join("\n");
    const header = text.split("\n").find((line) => line.startsWith("local "))!;
    const declared = /^local\s+(?:function\s+([A-Za-z_]\w*)|([A-Za-z_][\w\s,]*?)\s*(?:=|$))/
      .exec(header);
    const names = declared?.[1] ? [declared[1]] : (declared?.[2] ?? "").split(/\s*,\s*/);
    const isFunction = declared?.[1] !== undefined;
    found.push({ text, names, uses: identifiers(text), isFunction });
    current = undefined;
  };
  for (const line of library.split("\n")) {
    if (line.startsWith("local ")) {
      close();
      current = [...comments, line];
      comments = [];
    } else if (line.startsWith("--") && (current === undefined || comments.length > 0)) {
      comments.push(line);
    } else if (line.startsWith("--")) {
      // A comment at the left margin after a definition introduces the next one.
      close();
      comments.push(line);
    } else if (line.trim() === "" && current === undefined) {
      continue;
    } else if (current !== undefined && (line === "" || /^(\s|end\b|}|\))/.test(line))) {
      current.push(line);
    } else {
      throw new SyntaxError(
        `Cannot trim a Lua library as a top-level line is not a local definition: ` +
          `current value is ${JSON.stringify(line)}`,
      );
    }
  }
  close();
  return found;
}

/**
 * The blocks of `all` that `body` needs, directly or through another block, in their order.
 * A name is needed when it appears as an identifier, so an unused definition can be kept
 * but a used one is never dropped.
 */
export function neededBlocks(all: readonly Block[], body: string): Block[] {
  const needed = identifiers(body);
  const kept = new Set<Block>();
  for (let grew = true; grew;) {
    grew = false;
    for (const block of all) {
      if (kept.has(block) || !block.names.some((name) => needed.has(name))) continue;
      kept.add(block);
      for (const name of block.uses) needed.add(name);
      grew = true;
    }
  }
  return all.filter((block) => kept.has(block));
}

/** The definitions of `libraries` that `body` needs (see `neededBlocks`), then `body`. */
export function trimmedScript(libraries: readonly string[], body: string): string {
  const kept = neededBlocks(libraries.flatMap(blocks), body);
  return [...kept.map((block) => block.text), body].join("\n");
}
