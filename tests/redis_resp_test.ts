import assert from "node:assert/strict";
import { test } from "node:test";
import {
  byteLength,
  encodeCommand,
  type Reply,
  ReplyError,
  ReplyParser,
} from "../stores/redis/_resp.ts";

const encoder = new TextEncoder();

/** Every reply `parse` gets from `chunks`, fed one after the other. */
function parse(...chunks: Uint8Array[]): Reply[] {
  const replies: Reply[] = [];
  const parser = new ReplyParser((reply) => replies.push(reply));
  for (const chunk of chunks) parser.feed(chunk);
  return replies;
}

/** One frame of every kind, and what it parses to. */
const FRAME = encoder.encode(
  "+OK\r\n" +
    "-NOSCRIPT No matching script. Please use EVAL.\r\n" +
    ":42\r\n" +
    ":-7\r\n" +
    "$5\r\nhello\r\n" +
    "$0\r\n\r\n" +
    "$-1\r\n" +
    "*-1\r\n" +
    "*0\r\n" +
    "*3\r\n*2\r\n$1\r\na\r\n:1\r\n*1\r\n*0\r\n$-1\r\n" +
    "*2\r\n-ERR inner\r\n$10\r\nnaïve ☃\r\n" +
    "$4\r\n😀\r\n",
);
const REPLIES: Reply[] = [
  "OK",
  new ReplyError("NOSCRIPT No matching script. Please use EVAL."),
  42,
  -7,
  "hello",
  "",
  null,
  null,
  [],
  [["a", 1], [[]], null],
  [new ReplyError("ERR inner"), "naïve ☃"],
  "😀",
];

test("ReplyParser.feed() parses every reply kind, nested arrays, nulls and errors", () => {
  const replies = parse(FRAME);
  assert.deepEqual(replies, REPLIES);
  assert.ok(replies[1] instanceof ReplyError);
  assert.equal((replies[1] as ReplyError).name, "ReplyError");
  assert.equal((replies[1] as ReplyError).message, "NOSCRIPT No matching script. Please use EVAL.");
  assert.ok((replies[10] as Reply[])[0] instanceof ReplyError);
});

test("ReplyParser.feed() gives the same replies for a frame split at any byte boundary", () => {
  for (let i = 0; i <= FRAME.length; i++) {
    assert.deepEqual(parse(FRAME.subarray(0, i), FRAME.subarray(i)), REPLIES, `split at ${i}`);
  }
});

test("ReplyParser.feed() gives the same replies for a frame split at every two boundaries", () => {
  for (let i = 0; i <= FRAME.length; i += 3) {
    for (let j = i; j <= FRAME.length; j++) {
      const chunks = [FRAME.subarray(0, i), FRAME.subarray(i, j), FRAME.subarray(j)];
      assert.deepEqual(parse(...chunks), REPLIES, `split at ${i} and ${j}`);
    }
  }
});

test("ReplyParser.feed() parses a frame fed one byte at a time", () => {
  const bytes = Array.from(FRAME, (byte) => Uint8Array.of(byte));
  assert.deepEqual(parse(...bytes), REPLIES);
});

test("ReplyParser.feed() keeps no reference to a chunk once it returns", () => {
  // The sockets read into one buffer again and again: a cut frame must be copied.
  const buffer = new Uint8Array(7);
  const replies: Reply[] = [];
  const parser = new ReplyParser((reply) => replies.push(reply));
  for (let i = 0; i < FRAME.length; i += buffer.length) {
    const part = FRAME.subarray(i, i + buffer.length);
    buffer.set(part);
    parser.feed(buffer.subarray(0, part.length));
    buffer.fill(0);
  }
  assert.deepEqual(replies, REPLIES);
});

test("ReplyParser.feed() parses a bulk string of a few megabytes in 64 KiB chunks", () => {
  const text = "é€😀x".repeat(300_000);
  const body = encoder.encode(text);
  const frame = new Uint8Array([...encoder.encode(`*2\r\n$${body.length}\r\n`)]);
  const tail = encoder.encode("\r\n:1\r\n");
  const whole = new Uint8Array(frame.length + body.length + tail.length);
  whole.set(frame);
  whole.set(body, frame.length);
  whole.set(tail, frame.length + body.length);
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < whole.length; i += 65_536) chunks.push(whole.subarray(i, i + 65_536));
  assert.ok(chunks.length > 40);
  const [reply] = parse(...chunks) as [[string, number]];
  assert.equal(reply[0].length, text.length);
  assert.equal(reply[0], text);
  assert.equal(reply[1], 1);
});

test("ReplyParser.feed() parses many replies of one chunk, in order", () => {
  const json = JSON.stringify({ id: "1", data: "x".repeat(300) });
  const frame = `*50\r\n${`$${json.length}\r\n${json}\r\n`.repeat(50)}`;
  const replies = parse(encoder.encode(frame.repeat(3) + ":1\r\n"));
  assert.equal(replies.length, 4);
  for (const reply of replies.slice(0, 3)) assert.deepEqual(reply, Array(50).fill(json));
});

test("ReplyParser.feed() throws a SyntaxError for bytes that are not RESP2", () => {
  assert.throws(
    () => parse(encoder.encode("!oops\r\n")),
    new SyntaxError(
      "Cannot parse the Redis reply as its type byte is unknown: current value is 33",
    ),
  );
  assert.throws(
    () => parse(encoder.encode(":4x2\r\n")),
    new SyntaxError("Cannot parse the Redis reply as a number is malformed: current value is 4x2"),
  );
});

test("ReplyParser.reset() forgets a partial reply", () => {
  const replies: Reply[] = [];
  const parser = new ReplyParser((reply) => replies.push(reply));
  parser.feed(encoder.encode("*2\r\n$5\r\nhel"));
  parser.reset();
  parser.feed(encoder.encode(":1\r\n"));
  assert.deepEqual(replies, [1]);
});

test("encodeCommand() writes an array of bulk strings with UTF-8 byte lengths", () => {
  assert.equal(encodeCommand(["SET", "k", 42]), "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\n42\r\n");
  assert.equal(encodeCommand(["ECHO", ""]), "*2\r\n$4\r\nECHO\r\n$0\r\n\r\n");
  assert.equal(encodeCommand(["ECHO", "é😀"]), "*2\r\n$4\r\nECHO\r\n$6\r\né😀\r\n");
  assert.equal(encodeCommand(["ECHO", -1.5]), "*2\r\n$4\r\nECHO\r\n$4\r\n-1.5\r\n");
});

test("byteLength() matches TextEncoder for every kind of UTF-16 text", () => {
  const samples = ["", "ascii", "é", "€", "😀", "a😀b", "\ud800", "x\udc00y", "\ud800\ud800"];
  for (const sample of samples) {
    assert.equal(byteLength(sample), encoder.encode(sample).length, JSON.stringify(sample));
  }
});
