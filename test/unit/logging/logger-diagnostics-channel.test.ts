import { tracingChannel } from "node:diagnostics_channel";
import { Writable } from "node:stream";
import { expect, it } from "vitest";
import { createLogger } from "../../../src/logging/logger.js";

/**
 * pino 10 publishes each log call's object on the `tracing:pino_asJson:start` diagnostics channel, to any
 * subscriber in the process (an APM agent), before its formatters run: the logger redacts before pino
 * sees the object, so a subscriber gets what the log line gets.
 */

const ASSERTION = "eyJhbGciOiJSUzI1NiJ9.cGF5bG9hZA.c2lnbmF0dXJl-planted";
const REFRESH_TOKEN = "aor-planted-refresh-token";
const ERROR_SECRET = "aoa-planted-on-an-error";

it("publishes nothing secret on pino's diagnostics channel: objects, nested variables and errors arrive redacted", () => {
  const lines: string[] = [];
  const logger = createLogger({ level: "info", destination: new Writable({ write: (chunk, _encoding, done) => void (lines.push(String(chunk)), done()) }) });
  const published: string[] = [];
  const channel = tracingChannel("pino_asJson");
  const handlers = { start: (message: unknown) => void published.push(JSON.stringify((message as { arguments: unknown[] }).arguments[0])) };
  channel.subscribe(handlers as never);
  try {
    logger.info({ refreshToken: REFRESH_TOKEN, request: { variables: { input: { assertion: ASSERTION } } } }, "an object");
    logger.child({ component: "test" }).warn({ nested: { refresh_token: REFRESH_TOKEN } }, "a child's object");
    logger.error(Object.assign(new Error("refused"), { accessToken: ERROR_SECRET }), "an error with a token on it");
    logger.error(Object.assign(new Error("refused alone"), { accessToken: ERROR_SECRET }));
  } finally {
    channel.unsubscribe(handlers as never);
  }
  expect(published).toHaveLength(4);
  for (const text of [...published, ...lines]) {
    for (const secret of [ASSERTION, REFRESH_TOKEN, ERROR_SECRET]) expect(text).not.toContain(secret);
  }
  // What the lines say is unchanged: redacted fields, an error under err with its message and stack.
  const [object, child, error, alone] = lines.map((line) => JSON.parse(line) as Record<string, any>);
  expect(object).toMatchObject({ msg: "an object", refreshToken: "[redacted]", request: { variables: { input: "[redacted]" } } });
  expect(child).toMatchObject({ msg: "a child's object", component: "test", nested: { refresh_token: "[redacted]" } });
  expect(error).toMatchObject({ level: 50, msg: "an error with a token on it", err: { type: "Error", message: "refused", accessToken: "[redacted]" } });
  expect(error!.err.stack).toContain("Error: refused");
  expect(alone).toMatchObject({ level: 50, msg: "refused alone", err: { type: "Error", message: "refused alone" } });
});
