/**
 * Job data must survive a trip through any store, so it must be JSON. This check finds the
 * first value that is not, and names its path, before anything is saved. @module
 */

/**
 * How deep job data (and log line data) may nest: an array or object is one level, so `[]`
 * is 1 level deep and `{ a: [1] }` 2.
 *
 * Why a limit, and why this one: what JSON itself round-trips depends on the runtime and on
 * the data's shape. Measured with Deno 2.9 (V8) and Bun 1.4 (JavaScriptCore): both parse any
 * depth; V8 stringifies plain objects and arrays of any depth, but data with integer-like keys
 * (`{ "1": … }`) or a `toJSON` value (a Date) inside takes its recursive path and overflows the
 * stack at about 3,500 levels; JavaScriptCore stops at 40,000 whatever the shape. So "what
 * JSON can round-trip" is not one answer, and data one process accepted could fail in another
 * process's store or event. 1,000 levels is far below each of these, leaves room for the
 * envelopes a record travels in (events, log lines, a settle batch), and is also the limit of
 * SQLite's JSON functions and of Redis's `cjson`, so a store may read inside data there. The
 * checks and copies of data are iterative, so no call-stack limit applies below it. (The
 * MongoDB store has a lower limit of its own: MongoDB refuses documents nested more than 100
 * levels deep.)
 */
export const MAX_DATA_DEPTH = 1_000;

function kindOf(value: unknown): string | undefined {
  switch (typeof value) {
    case "function":
      return "a function";
    case "bigint":
      return `a BigInt (${value}n)`;
    case "symbol":
      return "a symbol";
    case "number":
      return Number.isFinite(value) ? undefined : `${value}`;
    default:
      return undefined;
  }
}

/** What is wrong with a value, and where. */
interface Problem {
  /** `depth` for data nested too deep (a RangeError), `type` for the rest (a TypeError). */
  kind: "type" | "depth";
  text: string;
}

/** An object or array being walked: its keys (none for an array) and the next to visit. */
interface Frame {
  value: object;
  keys: string[] | undefined;
  next: number;
  /** The path segment that leads here from the parent (`.name` or `[3]`). */
  segment: string;
}

function frameOf(value: object, segment: string): Frame {
  return { value, keys: Array.isArray(value) ? undefined : Object.keys(value), next: 0, segment };
}

/** What is wrong with one value itself, leaving its contents aside. */
function problemOf(value: unknown): string | undefined {
  const bad = kindOf(value);
  if (bad) return bad;
  // JSON turns these into {}: refuse rather than lose their contents.
  if (value instanceof Map || value instanceof Set) return `a ${value.constructor.name}`;
  return undefined;
}

/** Whether JSON would walk into `value` (an object or array without `toJSON`). */
function isWalked(value: unknown): value is object {
  return value !== null && typeof value === "object" &&
    typeof (value as { toJSON?: unknown }).toJSON !== "function";
}

/**
 * The first problem in `data`, depth first. Iterative, with an explicit stack, so any depth
 * is walked without touching the call stack; the stack is also the current path (for the
 * message, built only on failure) and the set of objects on it (for cycles: an object seen
 * twice on different branches is shared, not circular).
 */
function find(data: unknown): Problem | undefined {
  const bad = problemOf(data);
  if (bad) return { kind: "type", text: `data is ${bad}` };
  if (!isWalked(data)) return undefined;
  const stack: Frame[] = [frameOf(data, "")];
  const onPath = new Set<object>([data]);
  const path = (segment: string) => "data" + stack.map((f) => f.segment).join("") + segment;
  while (stack.length > 0) {
    const frame = stack[stack.length - 1];
    const { value, keys } = frame;
    const length = keys ? keys.length : (value as unknown[]).length;
    if (frame.next === length) {
      stack.pop();
      onPath.delete(value);
      continue;
    }
    const index = frame.next++;
    const inner = keys
      ? (value as Record<string, unknown>)[keys[index]]
      : (value as unknown[])[index];
    const segment = keys ? `.${keys[index]}` : `[${index}]`;
    const problem = problemOf(inner);
    if (problem) return { kind: "type", text: `${path(segment)} is ${problem}` };
    if (!isWalked(inner)) continue;
    if (onPath.has(inner)) {
      return { kind: "type", text: `${path(segment)} is a circular reference` };
    }
    if (stack.length >= MAX_DATA_DEPTH) {
      return { kind: "depth", text: `nested more than ${MAX_DATA_DEPTH} levels deep` };
    }
    onPath.add(inner);
    stack.push(frameOf(inner, segment));
  }
  return undefined;
}

/** Nesting beyond which `isJsonSafe` gives up and lets `find` look (for cycles, say). */
const MAX_FAST_DEPTH = 64;

/**
 * The check on the hot path of every create: no path strings, no entry arrays, no set of
 * seen objects (a cycle just runs past `MAX_FAST_DEPTH`). Its recursion is bounded by
 * `MAX_FAST_DEPTH`; `find` runs only when it fails, to name the culprit or to walk data
 * deeper than that.
 */
function isJsonSafe(value: unknown, depth: number): boolean {
  switch (typeof value) {
    case "string":
    case "boolean":
    case "undefined":
      return true;
    case "number":
      return Number.isFinite(value);
    case "object":
      break;
    default:
      return false;
  }
  if (value === null) return true;
  if (depth > MAX_FAST_DEPTH) return false;
  if (Array.isArray(value)) {
    for (const inner of value) if (!isJsonSafe(inner, depth + 1)) return false;
    return true;
  }
  if (value instanceof Map || value instanceof Set) return false;
  if (typeof (value as { toJSON?: unknown }).toJSON === "function") return true;
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    if (!isJsonSafe((value as Record<string, unknown>)[key], depth + 1)) return false;
  }
  return true;
}

/**
 * Throws when `data` cannot be stored as JSON: functions, symbols, BigInts, non-finite
 * numbers, Maps, Sets or cycles anywhere inside it, or nesting deeper than
 * {@linkcode MAX_DATA_DEPTH} levels.
 *
 * @param data the job's data
 * @param what what is being done, for the message (e.g. "create job for \"send email\""), or
 *   a function giving it, called only when the data fails
 * @throws {TypeError} naming the first offending path
 * @throws {RangeError} when `data` is nested more than {@linkcode MAX_DATA_DEPTH} levels deep
 */
export function assertJsonData(data: unknown, what: string | (() => string)): void {
  if (isJsonSafe(data, 0)) return;
  if (typeof what === "function") what = what();
  const problem = find(data);
  if (problem?.kind === "depth") {
    throw new RangeError(
      `Cannot ${what} as its data must be nested at most ${MAX_DATA_DEPTH} levels deep: current value is ${problem.text}`,
    );
  }
  if (problem) {
    throw new TypeError(`Cannot ${what} as its data must be JSON-serialisable: ${problem.text}`);
  }
}
