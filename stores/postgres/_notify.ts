/**
 * What travels in a NOTIFY: one channel per schema, payloads under PostgreSQL's 8000-byte
 * limit, the sender's origin in front so a subscriber can drop its own echo unread. @module
 */

import type { StoreMessage } from "../../src/store.ts";

/**
 * The longest payload sent as it is, in UTF-8 bytes (PostgreSQL refuses 8000 and more; the
 * margin keeps the arithmetic below simple). A longer message is stored in the `events` table
 * and its NOTIFY carries `#<id>`.
 */
export const PAYLOAD_LIMIT = 7900;

/** The channel of a schema's messages. */
export function channelName(schema: string): string {
  return `${schema}_events`;
}

/**
 * A payload is `<origin>|<body>`: `origin` is the `origin` of an event message (empty for
 * every other message), `body` the message's JSON, or `#<id>` of a row of the `events` table.
 * Only origins that cannot contain the separator go in front; others are read from the body.
 */
export function payloadPrefix(message: StoreMessage): string {
  return message.type === "event" && /^[\w.:-]{1,64}$/.test(message.origin)
    ? `${message.origin}|`
    : "|";
}

/** The UTF-8 length of `text`, counted only as far as `limit` needs. */
export function utf8Length(text: string, limit = Infinity): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code < 0xdc00 && i + 1 < text.length) {
      bytes += 4;
      i++;
    } else bytes += 3;
    if (bytes > limit) return bytes;
  }
  return bytes;
}

/**
 * The payloads of a message, in order: an event message whose `event` is a batch too long for
 * one payload is split into several event messages of consecutive events (the core's bus
 * takes an array of events per message). A payload still over the limit — one huge event, or
 * any other message — is returned with `isLarge` set, for the `events` table.
 */
export function toPayloads(message: StoreMessage): { text: string; isLarge: boolean }[] {
  const prefix = payloadPrefix(message);
  const whole = prefix + JSON.stringify(message);
  if (utf8Length(whole, PAYLOAD_LIMIT) <= PAYLOAD_LIMIT) return [{ text: whole, isLarge: false }];
  if (message.type !== "event" || !Array.isArray(message.event) || message.event.length < 2) {
    return [{ text: whole, isLarge: true }];
  }
  const head = `${prefix}{"type":"event","origin":${JSON.stringify(message.origin)},"event":[`;
  const budget = PAYLOAD_LIMIT - utf8Length(head) - 2;
  const payloads: { text: string; isLarge: boolean }[] = [];
  let parts: string[] = [];
  let size = 0;
  const flush = () => {
    if (parts.length === 0) return;
    payloads.push({ text: `${head}${parts.join(",")}]}`, isLarge: size > budget });
    parts = [];
    size = 0;
  };
  for (const event of message.event) {
    const text = JSON.stringify(event) ?? "null";
    const bytes = utf8Length(text, budget + 1);
    if (parts.length > 0 && size + 1 + bytes > budget) flush();
    size += (parts.length > 0 ? 1 : 0) + bytes;
    parts.push(text);
  }
  flush();
  return payloads;
}

/** A received payload: who sent it (for events) and the body still to read. */
export function splitPayload(payload: string): { origin: string; body: string } {
  const bar = payload.indexOf("|");
  return bar === -1
    ? { origin: "", body: payload }
    : { origin: payload.slice(0, bar), body: payload.slice(bar + 1) };
}

/**
 * A CTE `woke` that sends one wake-up per distinct task of `source` (a query with a `task`
 * column). NOTIFY is transactional: the wake-ups leave at commit, and not at all on rollback.
 * A task name too long for a payload wakes everyone instead. The statement must read `woke`
 * (`SELECT count(*) FROM woke`), or PostgreSQL never runs it.
 */
export function wakeCte(channel: string, source: string): string {
  return `woke AS (
    SELECT pg_notify('${channel}', CASE WHEN octet_length(w.task) <= 7000
      THEN '|' || json_build_object('type', 'wake', 'task', w.task)::text
      ELSE '|{"type":"wake"}' END)
    FROM (SELECT DISTINCT task FROM (${source}) src) w)`;
}
