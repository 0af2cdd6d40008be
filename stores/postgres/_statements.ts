/**
 * Statement texts built by shape (groups, limit), kept once built: the same string each call
 * spares rebuilding several kilobytes of SQL, and the `postgres` client finds its prepared
 * statement by that text. @module
 */

/** Shapes are few (group counts times limits), so the cache is bounded; the oldest goes first. */
const LIMIT = 512;
const texts = new Map<string, string>();

/** The statement text of `key`, built by `build` on first use. */
export function statement(key: string, build: () => string): string {
  let text = texts.get(key);
  if (text === undefined) {
    text = build();
    if (texts.size >= LIMIT) texts.delete(texts.keys().next().value!);
    texts.set(key, text);
  }
  return text;
}
