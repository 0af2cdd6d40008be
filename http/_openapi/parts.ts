/**
 * The building blocks of the OpenAPI document (`document.ts`): JSON bodies, the problem
 * answers by status, parameters, and the shapes several routes share. @module
 */

import { ref } from "./schemas.ts";

type Schema = Record<string, unknown>;

/** A JSON answer of `schema`. */
export function json(schema: Schema, description: string): Schema {
  return { description, content: { "application/json": { schema } } };
}

/** The problem answers of a route, by status. */
export function problems(...statuses: number[]): Record<string, Schema> {
  const why: Record<number, string> = {
    400: "Bad input: the library's TypeError or RangeError message.",
    401: "No bearer token, or a wrong one.",
    403: "A write in read-only mode, or from a page of another origin.",
    404: "No such job (or schedule).",
    409: "The job is in a status the action does not apply to.",
    413: "The body is over 1 MB.",
    415: "The body is not application/json.",
    501: "The store lacks the verb (the library's message says which).",
  };
  return Object.fromEntries(
    [...statuses, 401].map((status) => [status, {
      description: why[status],
      content: { "application/problem+json": { schema: ref("Problem") } },
    }]),
  );
}

/** A JSON request body of `schema`. */
export function body(schema: Schema, isRequired = true): Schema {
  return { required: isRequired, content: { "application/json": { schema } } };
}

/** The `{id}` path parameter, as ids are checked. */
export const idPath = {
  name: "id",
  in: "path",
  required: true,
  schema: { type: "string", pattern: "^[A-Za-z0-9._~:-]{1,200}$" },
};

/** A query parameter of a comma-separated list. */
export function listParam(name: string, description: string, values?: readonly string[]): Schema {
  return {
    name,
    in: "query",
    description: `${description} Comma-separated or repeated.`,
    schema: { type: "string", ...(values ? { examples: [values.join(",")] } : {}) },
  };
}

/** `POST /api/jobs/{id}/<action>`: answers `{ job }`, 404, 409. */
export function jobAction(action: string, statuses: string, ...extra: number[]): Schema {
  return {
    post: {
      summary: `${action} a job (it must be ${statuses})`,
      parameters: [idPath],
      responses: {
        200: json(
          { type: "object", properties: { job: ref("Job") }, required: ["job"] },
          "The record afterwards.",
        ),
        ...problems(400, 403, 404, 409, ...extra),
      },
    },
  };
}

/** `POST /api/pause` or `/api/resume`: a target in, what is paused out. */
export function pauseRoute(action: string, effect: string): Schema {
  return {
    post: {
      summary: `${action} tags or tasks: ${effect}`,
      requestBody: body(ref("PauseInput")),
      responses: {
        200: json(ref("Paused"), "What is paused afterwards."),
        ...problems(400, 403, 413, 415, 501),
      },
    },
  };
}
