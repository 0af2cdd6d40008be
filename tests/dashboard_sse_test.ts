import assert from "node:assert/strict";
import { test } from "node:test";
import { type SseMessage, sseParser } from "../http/dashboard/client/sse.js";

function parse(chunks: string[]): { messages: SseMessage[]; comments: string[] } {
  const messages: SseMessage[] = [];
  const comments: string[] = [];
  const parser = sseParser({
    onMessage: (message) => messages.push(message),
    onComment: (text) => comments.push(text),
  });
  for (const chunk of chunks) parser.push(chunk);
  return { messages, comments };
}

test("sseParser() reads events, types and comments as the server writes them", () => {
  const { messages, comments } = parse([
    ": connected\n\n",
    'event: completed\ndata: {"type":"completed"}\n\n',
    ": heartbeat\n\n",
    'data: {"a":1}\n\n',
  ]);
  assert.deepEqual(messages, [
    { type: "completed", data: '{"type":"completed"}', id: undefined },
    { type: "message", data: '{"a":1}', id: undefined },
  ]);
  assert.deepEqual(comments, ["connected", "heartbeat"]);
});

test("sseParser() joins an event split anywhere across chunks, CRLF split included", () => {
  const wire = 'event: log\r\ndata: {"line":"x"}\r\n\r\nevent: progress\rdata: 1\r\r';
  for (let cut = 1; cut < wire.length; cut++) {
    const { messages } = parse([wire.slice(0, cut), wire.slice(cut)]);
    assert.deepEqual(
      messages.map((m) => [m.type, m.data]),
      [["log", '{"line":"x"}'], ["progress", "1"]],
      `cut at ${cut}`,
    );
  }
});

test("sseParser() joins data lines with a newline, keeps the id and drops one leading space", () => {
  const { messages } = parse(["id: 7\ndata:a\ndata:  b\n\n", "data\n\n"]);
  assert.deepEqual(messages, [
    { type: "message", data: "a\n b", id: "7" },
    { type: "message", data: "", id: "7" },
  ]);
});

test("sseParser() dispatches nothing for a blank line without data, nor for an unfinished event", () => {
  const { messages } = parse(["\n\nevent: x\n\n", "data: pending"]);
  assert.deepEqual(messages, []);
});
