/**
 * A stream of queue events as Server-Sent Events: `event: <type>` and `data: <JSON>` per
 * event, a comment line every heartbeat so proxies keep the connection open, and a clean end
 * when the client goes away — the events stream is cancelled, so its subscription in the
 * queue's event hub goes too. @module
 */

import type { QueueEvent } from "../src/events.ts";

const encoder = new TextEncoder();

/** One event in the SSE wire format (its JSON has no newline, so one `data:` line). */
export function sseEvent(event: QueueEvent): string {
  return `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}

/**
 * A `text/event-stream` response of `events`. It ends when the client disconnects (the
 * server cancels the body), when `signal` aborts (the server shuts down), or when `events`
 * ends; each way the events stream is cancelled and the heartbeat stopped.
 */
export function sseResponse(
  events: ReadableStream<QueueEvent>,
  { heartbeatMs, signal }: { heartbeatMs: number; signal?: AbortSignal },
): Response {
  const reader = events.getReader();
  let heartbeat: ReturnType<typeof setInterval> | undefined;
  let isEnded = false;
  const end = () => {
    if (isEnded) return;
    isEnded = true;
    clearInterval(heartbeat);
    signal?.removeEventListener("abort", end);
    reader.cancel().catch(() => {});
  };
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      // The first bytes: the response starts at once, and the client knows it is subscribed.
      controller.enqueue(encoder.encode(": connected\n\n"));
      heartbeat = setInterval(() => {
        try {
          controller.enqueue(encoder.encode(": heartbeat\n\n"));
        } catch {
          end(); // the body is closed: the client went away between two reads
        }
      }, heartbeatMs);
      if (signal?.aborted) end();
      else signal?.addEventListener("abort", end);
    },
    async pull(controller) {
      const { done, value } = await reader.read().catch(() => ({ done: true, value: undefined }));
      if (done || isEnded || value === undefined) {
        end();
        try {
          controller.close();
        } catch {
          // Already cancelled.
        }
        return;
      }
      controller.enqueue(encoder.encode(sseEvent(value)));
    },
    cancel: end,
  });
  return new Response(body, {
    headers: {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-transform",
      // Tells nginx not to buffer the stream.
      "x-accel-buffering": "no",
    },
  });
}
