import { test } from "node:test";
import assert from "node:assert/strict";
import * as api from "@opentelemetry/api";
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { kinetik, otel, type OtelApi } from "../mod.ts";
import { ManualClock } from "../src/manual_clock.ts";
import { nextEvent, waitFor } from "./_helpers.ts";
import { exporter } from "./_otel.ts";

const tracer = api.trace.getTracer("test");

/** The real module fits the interface otel() spells out. */
const moduleFits: OtelApi = api;

/** The finished spans named `name`, once there are `count` of them. */
async function spansNamed(name: string, count = 1): Promise<ReadableSpan[]> {
  const named = () => exporter.getFinishedSpans().filter((span) => span.name === name);
  await waitFor(() => named().length >= count, 5_000, `${count} span(s) ${name}`);
  return named();
}

test("otel() makes one span per run, the child of the span active at create()", async () => {
  exporter.reset();
  const queue = kinetik({ interval: "1h" });
  queue.use(await otel());
  queue.define("send email").action(() => {});
  try {
    const { job, parent } = await tracer.startActiveSpan("POST /signup", async (span) => {
      const job = await queue.create("send email", { to: "ford@example.com" });
      span.end();
      return { job, parent: span.spanContext() };
    });
    assert.deepEqual(
      (await queue.get(job.id))?.trace,
      { traceparent: `00-${parent.traceId}-${parent.spanId}-01` },
      "the job carries the creator's context",
    );
    queue.process("default");
    await queue.wait(job.id, { timeout: 5_000 });
    const [span] = await spansNamed("kinetik.run send email");
    assert.equal(span.spanContext().traceId, parent.traceId);
    assert.equal(span.parentSpanContext?.spanId, parent.spanId);
    assert.equal(span.kind, api.SpanKind.CONSUMER);
    assert.deepEqual(span.attributes, {
      "kinetik.job.id": job.id,
      "kinetik.job.task": "send email",
      "kinetik.job.attempt": 1,
      "kinetik.job.outcome": "completed",
      "messaging.system": "kinetik",
      "messaging.operation.type": "process",
      "messaging.destination.name": "send email",
      "messaging.message.id": job.id,
    });
    assert.equal(span.status.code, api.SpanStatusCode.UNSET);
    assert.equal(exporter.getFinishedSpans().length, 2, "the request's span and the run's");
  } finally {
    await queue.close();
  }
});

test("otel() keeps the run's span active in the action, so the action's spans are its children", async () => {
  exporter.reset();
  const queue = kinetik({ interval: "1h" });
  queue.use(await otel());
  queue.define("resize").action(async () => {
    await new Promise((resolve) => setTimeout(resolve, 1));
    tracer.startActiveSpan("read file", (span) => span.end());
  });
  try {
    const job = await queue.create("resize");
    queue.process("default");
    await queue.wait(job.id, { timeout: 5_000 });
    const [run] = await spansNamed("kinetik.run resize");
    const [inner] = await spansNamed("read file");
    assert.equal(inner.parentSpanContext?.spanId, run.spanContext().spanId);
    assert.equal(run.parentSpanContext, undefined, "no span at create(): the run starts a trace");
    assert.equal((await queue.get(job.id))?.trace, undefined);
  } finally {
    await queue.close();
  }
});

test("otel() marks failed, retried and timed-out runs as errors with their message", async () => {
  exporter.reset();
  const clock = new ManualClock();
  const queue = kinetik({ interval: "1h", clock });
  queue.use(await otel());
  queue.define("flaky").retry("1h", 1).action(() => {
    throw new Error("SMTP said no");
  });
  queue.define("broken").action(() => {
    throw new Error("no such file");
  });
  const endless = queue.define("slow").timeout(5).action(() => new Promise(() => {}));
  const started = nextEvent(endless, "start");
  try {
    const [flaky, broken, slow] = await queue.createMany([
      { task: "flaky" },
      { task: "broken" },
      { task: "slow" },
    ]);
    queue.process("default", { concurrency: 3 });
    await started;
    await clock.advance(5);
    await queue.wait(broken.id, { timeout: 5_000 });
    await queue.wait(slow.id, { timeout: 5_000 });
    const outcome = async (task: string) => {
      const [span] = await spansNamed(`kinetik.run ${task}`);
      return [span.attributes["kinetik.job.outcome"], span.status.code, span.status.message];
    };
    assert.deepEqual(await outcome("flaky"), ["retry", api.SpanStatusCode.ERROR, "SMTP said no"]);
    assert.deepEqual(await outcome("broken"), ["failed", api.SpanStatusCode.ERROR, "no such file"]);
    assert.deepEqual(await outcome("slow"), [
      "timeout",
      api.SpanStatusCode.ERROR,
      "Timed out after 5ms",
    ]);
    assert.equal((await queue.get(flaky.id))?.status, "delayed");
  } finally {
    await queue.close();
  }
});

test("otel({ api, tracerName }) uses the module and tracer name it is given", async () => {
  exporter.reset();
  const queue = kinetik({ interval: "1h" });
  queue.use(await otel({ api, tracerName: "mailer" }));
  queue.define("t").action(() => {});
  try {
    const job = await queue.create("t");
    queue.process("default");
    await queue.wait(job.id, { timeout: 5_000 });
    const [span] = await spansNamed("kinetik.run t");
    assert.equal(span.instrumentationScope.name, "mailer");
    assert.equal(moduleFits, api);
  } finally {
    await queue.close();
  }
});
