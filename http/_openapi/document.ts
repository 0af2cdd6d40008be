/**
 * The OpenAPI 3.1 document of the HTTP API, beside the routes it describes
 * (`http/_routes/`). `tests/http_openapi_test.ts` validates it against the OpenAPI schema and
 * holds real responses of every route against it. @module
 */

import { QUEUE_EVENT_TYPES } from "../../src/events.ts";
import { JOB_STATUSES } from "../../src/job.ts";
import config from "../../deno.json" with { type: "json" };
import { body, idPath, jobAction, json, listParam, pauseRoute, problems } from "./parts.ts";
import { ref, SCHEMAS } from "./schemas.ts";

type Schema = Record<string, unknown>;

/** The OpenAPI document of a handler whose routes start at `basePath`. */
export function openApiDocument(basePath: string): Schema {
  return {
    openapi: "3.1.0",
    info: {
      title: "Kinetik HTTP API",
      version: config.version,
      description: "Job management for a Kinetik queue: jobs, events, counts, tasks.",
    },
    servers: [{ url: basePath === "" ? "/" : basePath }],
    security: [{ bearer: [] }],
    paths: {
      "/api/stats": {
        get: {
          summary: "Counts by status, task and tag",
          responses: { 200: json(ref("QueueStats"), "queue.stats()"), ...problems() },
        },
      },
      "/api/jobs": {
        get: {
          summary: "A page of jobs, with a cursor to the next one",
          parameters: [
            listParam("status", "Only jobs in these statuses.", JOB_STATUSES),
            listParam("task", "Only jobs of these tasks."),
            listParam("tag", "Only jobs of tasks in these tags (as workers recorded them)."),
            {
              name: "query",
              in: "query",
              description: 'A MongoDB-style query as JSON, e.g. {"data.user":42}.',
              schema: { type: "string" },
            },
            {
              name: "sort",
              in: "query",
              schema: { type: "string", enum: ["created", "-created"], default: "created" },
            },
            {
              name: "limit",
              in: "query",
              schema: { type: "integer", minimum: 1, maximum: 500, default: 50 },
            },
            {
              name: "cursor",
              in: "query",
              description: "The next cursor of the previous page.",
              schema: { type: "string" },
            },
          ],
          responses: { 200: json(ref("JobPage"), "A page of jobs."), ...problems(400) },
        },
        post: {
          summary: "Create one job, or many (an array)",
          requestBody: body({
            oneOf: [ref("NewJob"), { type: "array", items: ref("NewJob") }],
          }),
          responses: {
            201: json(
              {
                oneOf: [
                  { type: "object", properties: { job: ref("Job") }, required: ["job"] },
                  {
                    type: "object",
                    properties: { jobs: { type: "array", items: ref("Job") } },
                    required: ["jobs"],
                  },
                ],
              },
              "The saved record(s): { job } for one, { jobs } for an array.",
            ),
            ...problems(400, 403, 413, 415),
          },
        },
      },
      "/api/jobs/{id}": {
        get: {
          summary: "One job's record",
          parameters: [idPath],
          responses: { 200: json(ref("Job"), "The record."), ...problems(400, 404) },
        },
        delete: {
          summary: "Remove a job and its logs, in any status (a running one is cancelled first)",
          parameters: [idPath],
          responses: { 204: { description: "Removed." }, ...problems(400, 403, 404, 501) },
        },
      },
      "/api/jobs/{id}/logs": {
        get: {
          summary: "One job's log lines, oldest first",
          parameters: [idPath],
          responses: {
            200: json({ type: "array", items: ref("LogLine") }, "The log lines."),
            ...problems(400, 404),
          },
        },
      },
      "/api/jobs/{id}/cancel": jobAction("Cancel", "queued, delayed or processing"),
      "/api/jobs/{id}/retry": jobAction("Retry", "failed, timeout or cancelled"),
      "/api/jobs/{id}/promote": jobAction("Promote", "delayed", 501),
      "/api/retry": {
        post: {
          summary: "Retry every failed, timed-out or cancelled job a query matches",
          requestBody: body(ref("Query"), false),
          responses: {
            200: json(ref("Count"), "How many were requeued."),
            ...problems(400, 403, 413, 415),
          },
        },
      },
      "/api/clean": {
        post: {
          summary: "Remove jobs (default completed) with their logs, optionally only old ones",
          requestBody: body(ref("CleanRequest"), false),
          responses: {
            200: json(ref("Count"), "How many were removed."),
            ...problems(400, 403, 413, 415, 501),
          },
        },
      },
      "/api/tasks": {
        get: {
          summary: "Task definitions of this process and of the live workers",
          responses: {
            200: json({ type: "array", items: ref("TaskListing") }, "The tasks."),
            ...problems(),
          },
        },
      },
      "/api/workers": {
        get: {
          summary: "The live workers, from their heartbeats",
          responses: {
            200: json({ type: "array", items: ref("Worker") }, "queue.workers()"),
            ...problems(),
          },
        },
      },
      "/api/metrics": {
        get: {
          summary:
            "Completed and failed runs and run-time p50/p95 per bucket, per task and in total",
          parameters: [
            {
              name: "since",
              in: "query",
              description:
                'From when: an age like "1h" (the default), or epoch ms. Stores keep 24 hours.',
              schema: { type: "string", examples: ["1h", "1735689600000"] },
            },
            {
              name: "bucket",
              in: "query",
              description: 'The bucket length, whole minutes from "1m" (the default) to "24h".',
              schema: { type: "string", examples: ["1m", "5m"] },
            },
          ],
          responses: {
            200: json(ref("QueueMetrics"), "queue.metrics({ since, bucket })"),
            ...problems(400, 501),
          },
        },
      },
      "/api/schedules": {
        get: {
          summary: "The stored schedules, with their next fire time",
          responses: {
            200: json({ type: "array", items: ref("Schedule") }, "queue.schedules()"),
            ...problems(501),
          },
        },
      },
      "/api/schedules/{id}": {
        put: {
          summary: "Store a schedule (the same id and spec again keeps it as it is)",
          parameters: [idPath],
          requestBody: body(ref("ScheduleSpec")),
          responses: {
            200: json(
              { type: "object", properties: { schedule: ref("Schedule") }, required: ["schedule"] },
              "The schedule as stored.",
            ),
            ...problems(400, 403, 413, 415, 501),
          },
        },
        delete: {
          summary: "Delete a schedule",
          parameters: [idPath],
          responses: { 204: { description: "Deleted." }, ...problems(400, 403, 404, 501) },
        },
      },
      "/api/paused": {
        get: {
          summary: "The paused tags and tasks",
          responses: { 200: json(ref("Paused"), "queue.paused()"), ...problems(501) },
        },
      },
      "/api/pause": pauseRoute("Pause", "no processor claims their jobs; running ones finish"),
      "/api/resume": pauseRoute("Resume", "their jobs are claimed again at once"),
      "/api/events": {
        get: {
          summary: "Job events as Server-Sent Events",
          description: "Each event is `event: <type>` and `data: <QueueEvent JSON>`; a comment " +
            "line every 15 s keeps the connection open.",
          parameters: [
            listParam("type", "Only these event types.", QUEUE_EVENT_TYPES),
            listParam("task", "Only events of jobs of these tasks."),
            {
              name: "job",
              in: "query",
              description: "Only this job's events.",
              schema: idPath.schema,
            },
          ],
          responses: {
            200: {
              description: "The event stream.",
              content: { "text/event-stream": { schema: { type: "string" } } },
            },
            ...problems(400),
          },
        },
      },
      "/api/openapi.json": {
        get: {
          summary: "This document",
          security: [],
          responses: { 200: json({ type: "object" }, "The OpenAPI document.") },
        },
      },
    },
    components: {
      schemas: SCHEMAS,
      securitySchemes: {
        bearer: {
          type: "http",
          scheme: "bearer",
          description: "The token given to httpHandler() or kinetik serve --token.",
        },
      },
    },
  };
}
