/**
 * RESP2, the Redis wire protocol: commands out as arrays of bulk strings, replies in through
 * an incremental parser that takes the socket's chunks as they come (a reply may span many
 * chunks, a chunk may hold many replies). Private to the Redis store. @module
 */

/** A command argument. */
export type Arg = string | number;

/** A reply: string, number, null, an array of replies, or (nested only) a {@linkcode ReplyError}. */
export type Reply = string | number | null | ReplyError | Reply[];

/** An error reply of Redis; `message` is Redis's text, e.g. "NOSCRIPT No matching script…". */
export class ReplyError extends Error {
  override name = "ReplyError";
}

/**
 * One command as RESP text. Left a string so the commands of one tick are joined and turned
 * into bytes once; each argument's length prefix is its UTF-8 byte length.
 */
export function encodeCommand(args: readonly Arg[]): string {
  let text = `*${args.length}\r\n`;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const value = typeof arg === "string" ? arg : String(arg);
    text += `$${byteLength(value)}\r\n${value}\r\n`;
  }
  return text;
}

/** The UTF-8 byte length of `text`, as `TextEncoder` would encode it (lone surrogates as U+FFFD). */
export function byteLength(text: string): number {
  if (!NON_ASCII.test(text)) return text.length; // most arguments: one native scan
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) continue;
    if (code < 0x800) bytes += 1;
    else if (code >= 0xd800 && code <= 0xdbff && isLowSurrogate(text.charCodeAt(i + 1))) {
      bytes += 2; // Two UTF-16 units, four bytes.
      i++;
    } else bytes += 2;
  }
  return bytes;
}

const NON_ASCII = /[\u0080-\uffff]/;

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

const CR = 13;
const decoder = new TextDecoder();

/** An array reply still being filled. */
interface OpenArray {
  items: Reply[];
  filled: number;
}

/**
 * Turns a stream of bytes into replies, calling `onReply` once per complete top-level reply,
 * in order. A top-level error reply is passed as a {@linkcode ReplyError} value.
 *
 * The parser keeps no reference to a chunk after `feed` returns (the socket may reuse its
 * buffer): a frame cut by a chunk boundary is copied. Nothing is parsed twice: open arrays
 * stay on a stack, and a cut bulk string is filled in place as its bytes arrive.
 */
export class ReplyParser {
  #onReply: (reply: Reply) => void;
  #stack: OpenArray[] = [];
  /** The start of a line cut by the end of the previous chunk. */
  #rest: Uint8Array | undefined;
  /** A bulk string cut by the end of a chunk, with room for its CRLF, and the bytes it has. */
  #bulk: Uint8Array | undefined;
  #bulkFilled = 0;

  /** @param onReply called with each complete top-level reply */
  constructor(onReply: (reply: Reply) => void) {
    this.#onReply = onReply;
  }

  /** Forgets a partial reply, for a new connection. */
  reset(): void {
    this.#stack = [];
    this.#rest = undefined;
    this.#bulk = undefined;
  }

  /**
   * Parses the bytes of `chunk`.
   *
   * @throws {SyntaxError} when the bytes are not RESP2 (the connection is unusable then)
   */
  feed(chunk: Uint8Array): void {
    let buffer = chunk;
    let pos = 0;
    if (this.#bulk) {
      pos = this.#fillBulk(chunk);
      if (this.#bulk) return;
    }
    if (this.#rest) {
      buffer = concatBytes(this.#rest, chunk.subarray(pos));
      this.#rest = undefined;
      pos = 0;
    }
    const end = buffer.length;
    while (pos < end) {
      const type = buffer[pos];
      // Scanned here rather than with `indexOf`: most lines are a few bytes (`$-1`, `$13`,
      // `:1`), and a builtin call per reply element cost more than the loop.
      let cr = pos + 1;
      while (cr < end && buffer[cr] !== CR) cr++;
      if (cr + 1 >= end) {
        this.#rest = buffer.slice(pos);
        return;
      }
      const next = cr + 2;
      switch (type) {
        case 36: { // $ bulk string
          const length = parseInteger(buffer, pos + 1, cr);
          if (length < 0) {
            this.#push(null);
            pos = next;
          } else if (next + length + 2 <= end) {
            this.#push(decodeText(buffer, next, next + length));
            pos = next + length + 2;
          } else {
            this.#bulk = new Uint8Array(length + 2);
            this.#bulk.set(buffer.subarray(next));
            this.#bulkFilled = end - next;
            return;
          }
          break;
        }
        case 42: { // * array
          const length = parseInteger(buffer, pos + 1, cr);
          pos = next;
          if (length < 0) this.#push(null);
          else if (length === 0) this.#push([]);
          else this.#stack.push({ items: new Array(length), filled: 0 });
          break;
        }
        case 58: // : integer
          this.#push(parseInteger(buffer, pos + 1, cr));
          pos = next;
          break;
        case 43: // + simple string
          this.#push(decodeText(buffer, pos + 1, cr));
          pos = next;
          break;
        case 45: // - error
          this.#push(new ReplyError(decoder.decode(buffer.subarray(pos + 1, cr))));
          pos = next;
          break;
        default:
          throw new SyntaxError(
            `Cannot parse the Redis reply as its type byte is unknown: current value is ${type}`,
          );
      }
    }
  }

  /** Copies the next bytes of a cut bulk string; returns where its frame ends in `chunk`. */
  #fillBulk(chunk: Uint8Array): number {
    const bulk = this.#bulk!;
    const taken = Math.min(bulk.length - this.#bulkFilled, chunk.length);
    bulk.set(chunk.subarray(0, taken), this.#bulkFilled);
    this.#bulkFilled += taken;
    if (this.#bulkFilled < bulk.length) return taken;
    this.#bulk = undefined;
    this.#push(decoder.decode(bulk.subarray(0, bulk.length - 2)));
    return taken;
  }

  /** Puts a complete value into the innermost open array, closing the arrays it fills. */
  #push(value: Reply): void {
    const stack = this.#stack;
    for (;;) {
      const top = stack[stack.length - 1];
      if (top === undefined) return this.#onReply(value);
      top.items[top.filled++] = value;
      if (top.filled < top.items.length) return;
      stack.pop();
      value = top.items;
    }
  }
}

/** Strings up to this many bytes are built by hand when they are ASCII. */
const SHORT_TEXT = 32;

/**
 * The UTF-8 text in `buffer[start, end)`. Short ASCII strings, the bulk of most replies (ids,
 * counts, statuses), are built byte by byte: a `subarray` plus a `TextDecoder` call costs
 * more than they do (a fifth of a bulk add's client time on Bun went there).
 */
function decodeText(buffer: Uint8Array, start: number, end: number): string {
  if (end - start <= SHORT_TEXT) {
    let text = "";
    for (let i = start; i < end; i++) {
      const byte = buffer[i];
      if (byte >= 0x80) return decoder.decode(buffer.subarray(start, end));
      text += String.fromCharCode(byte);
    }
    return text;
  }
  return decoder.decode(buffer.subarray(start, end));
}

/** The decimal integer in `buffer[start, end)`, e.g. a length or an integer reply. */
function parseInteger(buffer: Uint8Array, start: number, end: number): number {
  const isNegative = buffer[start] === 45;
  let value = 0;
  for (let i = isNegative ? start + 1 : start; i < end; i++) {
    const digit = buffer[i] - 48;
    if (digit < 0 || digit > 9) {
      throw new SyntaxError(
        `Cannot parse the Redis reply as a number is malformed: current value is ${
          decoder.decode(buffer.subarray(start, end))
        }`,
      );
    }
    value = value * 10 + digit;
  }
  return isNegative ? -value : value;
}

/** `a` then `b` in one new buffer. */
export function concatBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  const joined = new Uint8Array(a.length + b.length);
  joined.set(a);
  joined.set(b, a.length);
  return joined;
}
