/**
 * Job data must survive a trip through any store, so it must be JSON. This check finds the
 * first value that is not, and names its path, before anything is saved. @module
 */

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

function find(value: unknown, path: string, seen: Set<object>): string | undefined {
  const bad = kindOf(value);
  if (bad) return `${path} is ${bad}`;
  if (value === null || typeof value !== "object") return undefined;
  // JSON turns these into {}: refuse rather than lose their contents.
  if (value instanceof Map || value instanceof Set) return `${path} is a ${value.constructor.name}`;
  if (typeof (value as { toJSON?: unknown }).toJSON === "function") return undefined;
  if (seen.has(value)) return `${path} is a circular reference`;
  seen.add(value);
  const entries = Array.isArray(value)
    ? value.map((v, i) => [`[${i}]`, v] as const)
    : Object.entries(value)
      .map(([k, v]) => [`.${k}`, v] as const);
  for (const [key, inner] of entries) {
    const problem = find(inner, path + key, seen);
    if (problem) return problem;
  }
  seen.delete(value);
  return undefined;
}

/** Nesting beyond which `isJsonSafe` gives up and lets `find` look (for cycles, say). */
const MAX_FAST_DEPTH = 64;

/**
 * The check on the hot path of every create: no path strings, no entry arrays, no set of
 * seen objects (a cycle just runs past `MAX_FAST_DEPTH`). `find` runs only when it fails,
 * to name the culprit.
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
 * numbers or cycles anywhere inside it.
 *
 * @param data the job's data
 * @param what what is being done, for the message (e.g. "create job for \"send email\"")
 * @throws {TypeError} naming the first offending path
 */
export function assertJsonData(data: unknown, what: string): void {
  if (isJsonSafe(data, 0)) return;
  const problem = find(data, "data", new Set());
  if (problem) {
    throw new TypeError(`Cannot ${what} as its data must be JSON-serialisable: ${problem}`);
  }
}
