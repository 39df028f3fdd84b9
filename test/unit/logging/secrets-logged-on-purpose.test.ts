import Fastify, { type FastifyBaseLogger, LogController } from "fastify";
import { describe, expect, it } from "vitest";
import { createLogger } from "../../../src/logging/logger.js";
import { REDACTED, SECRET_FIELDS, secretValue } from "../../support/secret-fields.js";

/**
 * Each secret the tests know (test/support/secret-fields.ts, not the code's list) is logged ON
 * PURPOSE through every way a value reaches the gateway's logger, and must come out with its value
 * absent and its field shown as "[redacted]". A test that only scanned for secrets would pass
 * whenever a field happened not to be logged; these log it.
 */

type Line = Record<string, unknown>;

function capture() {
  const chunks: string[] = [];
  const logger = createLogger({ level: "trace", name: "secrets", destination: { write: (chunk: string) => void chunks.push(chunk) } });
  const text = () => chunks.join("");
  const lines = () => text().split("\n").filter(Boolean).map((line) => JSON.parse(line) as Line);
  return { logger, text, lines };
}

/** The one line logged, after checking the secret's value appears nowhere in the output. */
function onlyLineWithout(log: ReturnType<typeof capture>, value: string): Line {
  expect(log.text()).not.toContain(value);
  const lines = log.lines();
  expect(lines).toHaveLength(1);
  return lines[0]!;
}

/** `{ level1: { level2: … { [field]: value } } }`: `depth` plain objects above the field. */
function nestAt(depth: number, field: string, value: string): Line {
  let object: Line = { [field]: value, kept: "visible" };
  for (let level = depth; level > 0; level--) object = { [`level${level}`]: object };
  return object;
}

function dig(line: Line, depth: number): Line {
  let object = line;
  for (let level = 1; level <= depth; level++) object = object[`level${level}`] as Line;
  return object;
}

describe.each(SECRET_FIELDS)("logging %s on purpose", (field) => {
  it("as a field of the logged object: value gone, field shown redacted, neighbours kept", () => {
    const log = capture();
    const value = secretValue(field);
    log.logger.info({ [field]: value, requestId: "r-1" }, "top level");
    expect(onlyLineWithout(log, value)).toMatchObject({ [field]: REDACTED, requestId: "r-1", msg: "top level" });
  });

  it.each([1, 4, 11])("nested %i objects deep", (depth) => {
    const log = capture();
    const value = secretValue(field);
    log.logger.warn(nestAt(depth, field, value), "nested");
    expect(dig(onlyLineWithout(log, value), depth)).toEqual({ [field]: REDACTED, kept: "visible" });
  });

  it("inside an array of objects", () => {
    const log = capture();
    const value = secretValue(field);
    log.logger.info({ items: [{ id: 1 }, { id: 2, [field]: value }] }, "array");
    expect(onlyLineWithout(log, value).items).toEqual([{ id: 1 }, { id: 2, [field]: REDACTED }]);
  });

  it("whatever the case of its name (headers arrive in any case)", () => {
    const log = capture();
    const value = secretValue(field);
    const upper = field.toUpperCase();
    log.logger.info({ headers: { [upper]: value, host: "gateway.example" } }, "upper case");
    expect(onlyLineWithout(log, value).headers).toEqual({ [upper]: REDACTED, host: "gateway.example" });
  });

  it("as a property of an Error logged as `err`, keeping its type, message and stack", () => {
    const log = capture();
    const value = secretValue(field);
    log.logger.error({ err: Object.assign(new TypeError("exchange failed"), { [field]: value }) }, "with err");
    const err = onlyLineWithout(log, value).err as Line;
    expect(err).toMatchObject({ type: "TypeError", message: "exchange failed", [field]: REDACTED });
    expect(err.stack).toContain("TypeError: exchange failed");
  });

  it("as a property of an Error given as the first argument", () => {
    const log = capture();
    const value = secretValue(field);
    log.logger.error(Object.assign(new Error("exchange failed"), { [field]: value }), "error first");
    expect(onlyLineWithout(log, value).err).toMatchObject({ type: "Error", message: "exchange failed", [field]: REDACTED });
  });

  it("on an Error held in another error's property", () => {
    const log = capture();
    const value = secretValue(field);
    const inner = Object.assign(new RangeError("inner"), { [field]: value });
    log.logger.error({ err: Object.assign(new Error("outer"), { details: { inner } }) }, "error in error");
    expect(onlyLineWithout(log, value).err).toMatchObject({ details: { inner: { type: "RangeError", message: "inner", [field]: REDACTED } } });
  });

  it("on one of an AggregateError's errors", () => {
    const log = capture();
    const value = secretValue(field);
    const member = Object.assign(new Error("one attempt"), { [field]: value });
    log.logger.error({ err: new AggregateError([new Error("other attempt"), member], "every attempt failed") }, "aggregate");
    const err = onlyLineWithout(log, value).err as { aggregateErrors: Line[] };
    expect(err.aggregateErrors.map((error) => error[field] ?? null)).toEqual([null, REDACTED]);
  });

  it("on an Error's cause (the cause's message and stack are kept, its properties are not)", () => {
    const log = capture();
    const value = secretValue(field);
    const cause = Object.assign(new Error("socket hang up"), { [field]: value });
    log.logger.error({ err: new Error("exchange failed", { cause }) }, "caused");
    const err = onlyLineWithout(log, value).err as Line;
    expect(err.message).toBe("exchange failed: socket hang up");
    expect(err.stack).toContain("caused by: Error: socket hang up");
  });

  it("in a child logger's bindings, and a grandchild's", () => {
    const log = capture();
    const value = secretValue(field);
    const grandchildValue = secretValue(field);
    const child = log.logger.child({ component: "child", [field]: value });
    child.info("from child");
    child.child({ [field]: grandchildValue }).info("from grandchild");
    expect(log.text()).not.toContain(value);
    expect(log.text()).not.toContain(grandchildValue);
    expect(log.lines().map((line) => [line.msg, line.component, line[field]])).toEqual([
      ["from child", "child", REDACTED],
      ["from grandchild", "child", REDACTED],
    ]);
  });

  it("through fastify's per-request logger, built on the gateway's logger as the server builds it", async () => {
    const log = capture();
    const value = secretValue(field);
    const app = Fastify({ loggerInstance: log.logger.child({ component: "http" }) as FastifyBaseLogger, logController: new LogController({ disableRequestLogging: true }) });
    app.get("/", async (request) => {
      request.log.warn({ [field]: value }, "from a route");
      return "ok";
    });
    try {
      expect((await app.inject({ method: "GET", url: "/" })).body).toBe("ok");
    } finally {
      await app.close();
    }
    expect(onlyLineWithout(log, value)).toMatchObject({ component: "http", msg: "from a route", [field]: REDACTED, reqId: expect.any(String) });
  });
});
