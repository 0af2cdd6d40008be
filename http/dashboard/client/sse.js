/**
 * A Server-Sent Events parser for a stream read with `fetch()`. The dashboard cannot use
 * `EventSource`: it sends no headers, and the token must travel in `Authorization`, never in
 * a URL (where it would land in logs and history). This follows the parsing rules of the
 * HTML standard's `text/event-stream` (lines end in CRLF, LF or CR; `data:` lines join with
 * a newline; a blank line dispatches; a line starting with `:` is a comment; one space after
 * the colon is dropped). @module
 */

/**
 * @typedef {{ type: string, data: string, id?: string }} SseMessage
 * @typedef {{ onMessage(message: SseMessage): void, onComment?(text: string): void }} SseHandlers
 */

/**
 * A parser to feed decoded text chunks; it calls `onMessage` per complete event and
 * `onComment` per comment line (the server's heartbeats).
 *
 * @param {SseHandlers} handlers
 * @returns {{ push(chunk: string): void }}
 */
export function sseParser({ onMessage, onComment }) {
  let buffer = "";
  /** @type {string[]} */
  let data = [];
  let type = "";
  /** @type {string | undefined} */
  let id;
  // A CR at the end of a chunk may be the first half of a CRLF split across two chunks.
  let pendingCr = false;

  /** @param {string} line */
  const onLine = (line) => {
    if (line === "") {
      if (data.length > 0) onMessage({ type: type || "message", data: data.join("\n"), id });
      data = [];
      type = "";
      return;
    }
    if (line.startsWith(":")) return onComment?.(line.slice(1).trimStart());
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") data.push(value);
    else if (field === "event") type = value;
    else if (field === "id" && !value.includes("\0")) id = value;
    // `retry` is ignored: the dashboard chooses its own reconnection delays (see live.js).
  };

  return {
    push(chunk) {
      let text = chunk;
      if (pendingCr && text.startsWith("\n")) text = text.slice(1);
      pendingCr = false;
      buffer += text;
      const lines = buffer.split(/\r\n|\r|\n/);
      buffer = lines.pop() ?? "";
      if (buffer === "" && /\r$/.test(text)) pendingCr = true;
      for (const line of lines) onLine(line);
    },
  };
}
