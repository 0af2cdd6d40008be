/**
 * The opaque cursor of a job list page: where the next page starts, as base64url of the last
 * job's sort value and id. The store reads the page after it from an index (keyset paging,
 * `FindOptions.after`), so a deep page costs what the first one does, and jobs added or
 * removed meanwhile never shift a page the way an offset would. @module
 */

import type { Job } from "../src/job.ts";

/** The orders a job list accepts. */
export type ListSort = "created" | "-created";

function toBase64Url(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

function fromBase64Url(text: string): string {
  const binary = atob(text.replaceAll("-", "+").replaceAll("_", "/"));
  return new TextDecoder("utf-8", { fatal: true }).decode(
    Uint8Array.from(binary, (char) => char.charCodeAt(0)),
  );
}

/** The cursor of the page after `job` in `sort` order. */
export function encodeCursor(sort: ListSort, job: Job): string {
  return toBase64Url(JSON.stringify([sort, job.created, job.id]));
}

/**
 * The place a cursor marks: the sort value (creation time) and id of the job it was made
 * after, which is all keyset paging reads.
 * @throws {TypeError} for a cursor this API did not make, or one made for the other order
 */
export function decodeCursor(cursor: string, sort: ListSort): Pick<Job, "id" | "created"> {
  let place: unknown;
  try {
    place = JSON.parse(fromBase64Url(cursor));
  } catch {
    place = undefined;
  }
  const [order, created, id] = Array.isArray(place) ? place : [];
  if (
    !Array.isArray(place) || place.length !== 3 || typeof id !== "string" ||
    typeof created !== "number" || !Number.isFinite(created) ||
    (order !== "created" && order !== "-created")
  ) {
    throw new TypeError(
      `Cannot read cursor as it must be the next cursor of a job list: current value is ${
        JSON.stringify(cursor.length > 200 ? cursor.slice(0, 200) + "…" : cursor)
      }`,
    );
  }
  if (order !== sort) {
    throw new TypeError(
      `Cannot read cursor as it was made for sort=${order}, not sort=${sort}: current value is ${
        JSON.stringify(cursor)
      }`,
    );
  }
  return { id, created };
}
