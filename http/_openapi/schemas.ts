/**
 * The JSON Schemas (2020-12, as OpenAPI 3.1 uses them) of what the API sends and takes: the
 * job record, its log lines, events, counts, tasks, and the problem document. Records allow
 * more properties than listed, so a newer store field never breaks a client. @module
 */

import { JOB_STATUSES } from "../../src/job.ts";
import { QUEUE_EVENT_TYPES } from "../../src/events.ts";

type Schema = Record<string, unknown>;

/** A `$ref` to a component schema. */
export function ref(name: string): Schema {
  return { $ref: `#/components/schemas/${name}` };
}

const epochMs: Schema = { type: "number", description: "Epoch milliseconds." };
const duration: Schema = {
  oneOf: [{ type: "number", minimum: 0 }, { type: "string" }],
  description: 'Milliseconds, or a string like "10ms", "30s", "45m", "2h", "6d".',
};
const statusCounts: Schema = {
  type: "object",
  properties: Object.fromEntries(JOB_STATUSES.map((status) => [status, { type: "integer" }])),
  required: [...JOB_STATUSES],
};
const countsBy: Schema = {
  type: "object",
  properties: { total: { type: "integer" }, status: ref("StatusCounts") },
  required: ["total", "status"],
};

/** Every component schema, by name. */
export const SCHEMAS: Record<string, Schema> = {
  JobStatus: { type: "string", enum: [...JOB_STATUSES] },
  JobError: {
    type: "object",
    properties: { message: { type: "string" }, code: { type: "string" } },
    required: ["message"],
  },
  JobProgress: {
    type: "object",
    properties: { current: { type: "number" }, total: { type: "number" } },
    required: ["current", "total"],
  },
  RetryPolicy: {
    type: "object",
    properties: {
      delay: { type: "number" },
      max: { type: "integer" },
      backoff: { type: "string", enum: ["fixed", "exponential"] },
    },
    required: ["delay", "backoff"],
  },
  Job: {
    type: "object",
    description: "A stored job record.",
    properties: {
      id: { type: "string" },
      task: { type: "string" },
      data: { description: "The job's JSON data." },
      status: ref("JobStatus"),
      created: epochMs,
      runAt: epochMs,
      attempts: { type: "integer", minimum: 0 },
      priority: { type: "integer" },
      key: { type: "string" },
      error: ref("JobError"),
      started: epochMs,
      finished: epochMs,
      progress: ref("JobProgress"),
      worker: { type: "string" },
      leaseUntil: epochMs,
      maxAttempts: { type: "integer" },
      result: { description: "What the action returned (JSON), on a completed job." },
      retry: ref("RetryPolicy"),
      timeout: { type: "number" },
      trace: { type: "object", additionalProperties: { type: "string" } },
    },
    required: ["id", "task", "status", "created", "attempts", "priority"],
  },
  NewJob: {
    type: "object",
    description: "A job to create: the arguments of queue.create().",
    properties: {
      task: { type: "string", minLength: 1 },
      data: { description: "JSON data; {} when absent." },
      delay: duration,
      priority: { type: "integer" },
      key: { type: "string", minLength: 1 },
      retry: {
        description: "Per-job retry: { delay, max, backoff }.",
        type: "object",
      },
      timeout: duration,
    },
    required: ["task"],
    additionalProperties: false,
  },
  JobPage: {
    type: "object",
    properties: {
      jobs: { type: "array", items: ref("Job") },
      next: { type: "string", description: "The cursor of the next page, when there is one." },
    },
    required: ["jobs"],
  },
  LogLine: {
    type: "object",
    properties: { time: epochMs, message: { type: "string" }, data: {} },
    required: ["time", "message"],
  },
  StatusCounts: statusCounts,
  QueueStats: {
    type: "object",
    properties: {
      total: { type: "integer" },
      status: ref("StatusCounts"),
      tasks: {
        type: "object",
        additionalProperties: {
          ...countsBy,
          properties: { ...countsBy.properties as Schema, tag: { type: "string" } },
        },
      },
      tags: { type: "object", additionalProperties: countsBy },
    },
    required: ["total", "status", "tasks", "tags"],
  },
  TaskListing: {
    type: "object",
    properties: {
      name: { type: "string" },
      tag: { type: "string" },
      description: { type: "string" },
      timeout: { type: "number" },
      retry: {
        type: "object",
        properties: {
          delay: { type: "number" },
          max: { type: "integer" },
          backoff: { type: "string" },
        },
      },
      workers: { type: "array", items: { type: "string" } },
    },
    required: ["name", "tag", "workers"],
  },
  QueueEvent: {
    type: "object",
    properties: {
      type: { type: "string", enum: [...QUEUE_EVENT_TYPES] },
      job: ref("Job"),
      time: epochMs,
      line: ref("LogLine"),
      progress: ref("JobProgress"),
      error: ref("JobError"),
    },
    required: ["type", "job", "time"],
  },
  Query: {
    type: "object",
    description: 'A MongoDB-style query on job records, e.g. {"status": "failed"}.',
  },
  CleanRequest: {
    type: "object",
    properties: {
      tags: { oneOf: [{ type: "string" }, { type: "array", items: { type: "string" } }] },
      status: {
        oneOf: [ref("JobStatus"), { type: "array", items: ref("JobStatus") }],
        description: "Default completed.",
      },
      before: {
        oneOf: [{ type: "number" }, { type: "string" }],
        description: 'Only jobs finished before this: an age ("7d") or epoch ms.',
      },
    },
    additionalProperties: false,
  },
  ScheduleSpec: {
    type: "object",
    description: "What queue.schedule(id, spec) takes: cron or every, and the jobs' fields.",
    properties: {
      cron: { type: "string", description: '5 or 6 fields ("30 2 * * *"), or "@daily".' },
      every: duration,
      task: { type: "string", description: "Default: the schedule's id." },
      data: {},
      tz: { type: "string", description: 'IANA time zone of cron, default "UTC".' },
      missed: { type: "string", enum: ["skip", "latest", "all"] },
      priority: { type: "integer" },
    },
    additionalProperties: false,
  },
  Schedule: {
    type: "object",
    properties: {
      id: { type: "string" },
      task: { type: "string" },
      cron: { type: "string" },
      every: { type: "number" },
      tz: { type: "string" },
      next: epochMs,
      data: {},
      priority: { type: "integer" },
      missed: { type: "string", enum: ["skip", "latest", "all"] },
    },
    required: ["id", "task", "tz", "next"],
  },
  PauseInput: {
    description: "A tag, or { tags, tasks } (each a name or a list).",
    oneOf: [
      { type: "string", minLength: 1 },
      {
        type: "object",
        properties: {
          tags: { oneOf: [{ type: "string" }, { type: "array", items: { type: "string" } }] },
          tasks: { oneOf: [{ type: "string" }, { type: "array", items: { type: "string" } }] },
        },
        additionalProperties: false,
      },
    ],
  },
  Paused: {
    type: "object",
    properties: {
      tags: { type: "array", items: { type: "string" } },
      tasks: { type: "array", items: { type: "string" } },
    },
    required: ["tags", "tasks"],
  },
  Worker: {
    type: "object",
    properties: {
      id: { type: "string" },
      tags: { type: "array", items: { type: "string" } },
      tasks: {
        type: "array",
        items: {
          type: "object",
          properties: { name: { type: "string" }, tag: { type: "string" } },
          required: ["name", "tag"],
        },
      },
      host: { type: "string" },
      pid: { type: "integer" },
      started: epochMs,
      seen: epochMs,
    },
    required: ["id", "tags", "tasks", "started", "seen"],
  },
  MetricsSummary: {
    type: "object",
    properties: {
      completed: { type: "integer" },
      failed: { type: "integer", description: "Failed or timed out, retried runs included." },
      p50: { type: ["number", "null"], description: "Median run time in ms; null: no run." },
      p95: { type: ["number", "null"], description: "95th percentile run time in ms." },
    },
    required: ["completed", "failed", "p50", "p95"],
  },
  MetricsSeries: {
    type: "object",
    description: "A value per bucket (index i is the bucket starting at times[i]).",
    properties: {
      completed: { type: "array", items: { type: "integer" } },
      failed: { type: "array", items: { type: "integer" } },
      p50: { type: "array", items: { type: ["number", "null"] } },
      p95: { type: "array", items: { type: ["number", "null"] } },
      overall: ref("MetricsSummary"),
    },
    required: ["completed", "failed", "p50", "p95", "overall"],
  },
  QueueMetrics: {
    type: "object",
    properties: {
      since: epochMs,
      until: epochMs,
      bucket: { type: "number", description: "Bucket length in ms." },
      times: { type: "array", items: epochMs, description: "Start of each bucket." },
      total: ref("MetricsSeries"),
      tasks: { type: "object", additionalProperties: ref("MetricsSeries") },
    },
    required: ["since", "until", "bucket", "times", "total", "tasks"],
  },
  Count: {
    type: "object",
    properties: { count: { type: "integer", minimum: 0 } },
    required: ["count"],
  },
  Problem: {
    type: "object",
    description: "An RFC 9457 problem document; detail is the library's own message.",
    properties: {
      type: { type: "string" },
      title: { type: "string" },
      status: { type: "integer" },
      detail: { type: "string" },
    },
    required: ["type", "title", "status", "detail"],
  },
};
