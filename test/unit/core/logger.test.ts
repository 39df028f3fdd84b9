import { describe, expect, it } from "vitest";
import { createLogger } from "../../../src/logging/logger.js";
import { SECRET_FIELDS } from "../../support/secret-fields.js";

function capturingLogger() {
  const lines: string[] = [];
  const logger = createLogger({ level: "trace", name: "test", destination: { write: (line: string) => void lines.push(line) } });
  return { logger, lines, output: () => lines.join("") };
}

/** `{ a: { b: { key: value } } }` with `depth` levels above the key; level names vary to defeat fixed paths. */
function nestAt(depth: number, key: string, value: string): Record<string, unknown> {
  let object: Record<string, unknown> = { [key]: value };
  for (let level = depth; level > 0; level--) object = { [`level${level}`]: object };
  return object;
}

describe("createLogger", () => {
  it("writes JSON lines with level, name and message", () => {
    const { logger, lines } = capturingLogger();
    logger.info({ requestId: "r-1" }, "hello");
    expect(JSON.parse(lines[0] ?? "")).toMatchObject({ level: 30, name: "test", requestId: "r-1", msg: "hello" });
  });

  // The tests' own list of secret fields (schema + AWS model), never the code's: see secret-fields.ts.
  it.each([0, 1, 2, 3, 5, 10])("redacts every secret field at depth %i", (depth) => {
    const { logger, output } = capturingLogger();
    for (const key of SECRET_FIELDS) {
      logger.info(nestAt(depth, key, `SeCrEt-${key}-at-${depth}`), "secret inside");
    }
    expect(output()).not.toMatch(/SeCrEt-/);
    expect(output().match(/\[redacted\]/g)?.length).toBe(SECRET_FIELDS.length);
  });

  it("redacts secrets inside arrays", () => {
    const { logger, output } = capturingLogger();
    logger.info({ tokens: [{ accessToken: "SeCrEt-a" }, { refreshToken: "SeCrEt-b" }] }, "array");
    expect(output()).not.toContain("SeCrEt-");
  });

  it.each(["input", "variables"])("redacts every member of GraphQL %s at any depth", (container) => {
    const { logger, output } = capturingLogger();
    logger.info({ [container]: { grantType: "JWT_BEARER", note: "SeCrEt-top" } }, "top");
    logger.info({ request: { body: { [container]: { anything: "SeCrEt-nested", code: "ABCDEF" } } } }, "nested");
    expect(output()).not.toContain("SeCrEt-");
    expect(output()).not.toContain("ABCDEF");
  });

  it("redacts credential headers of a logged request", () => {
    const { logger, output } = capturingLogger();
    logger.info(
      { req: { headers: { authorization: "AWS4-HMAC-SHA256 SeCrEt-sig", cookie: "sid=SeCrEt-cookie", "x-amz-security-token": "SeCrEt-sts", host: "gateway.example" } } },
      "request",
    );
    expect(output()).not.toContain("SeCrEt-");
    expect(output()).toContain("gateway.example");
  });

  it("keeps an error's diagnostic code while redacting an authorization code", () => {
    const { logger, lines } = capturingLogger();
    logger.error({ err: Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }), code: "yJraWQiOiJrZXktMTU2Njk2" }, "failed");
    const line = JSON.parse(lines[0] ?? "");
    expect(line.err.code).toBe("ECONNRESET");
    expect(line.code).toBe("[redacted]");
  });

  it("matches secret keys case-insensitively and by secret/password in the name", () => {
    const { logger, lines } = capturingLogger();
    logger.info({ headers: { Authorization: "SeCrEt-1", "X-Amz-Security-Token": "SeCrEt-2", Cookie: "SeCrEt-3" }, awsSecretAccessKey: "SeCrEt-4", dbPassword: "SeCrEt-5", gatewaySecretGenerated: true }, "keys");
    expect(lines.join("")).not.toContain("SeCrEt-");
    expect(JSON.parse(lines[0] ?? "").gatewaySecretGenerated).toBe(true);
  });

  it("redacts secrets carried by an Error and keeps its type, message and stack", () => {
    const { logger, lines } = capturingLogger();
    const error = Object.assign(new TypeError("exchange failed"), { assertion: "SeCrEt-in-error", details: { refreshToken: "SeCrEt-deep" } });
    logger.error({ err: error }, "with err");
    logger.error(error, "error as first argument");
    expect(lines.join("")).not.toContain("SeCrEt-");
    for (const line of lines) {
      const { err } = JSON.parse(line);
      expect(err).toMatchObject({ type: "TypeError", message: "exchange failed", assertion: "[redacted]", details: { refreshToken: "[redacted]" } });
      expect(err.stack).toContain("TypeError: exchange failed");
    }
  });

  it("redacts a child logger's bindings", () => {
    const { logger, output } = capturingLogger();
    logger.child({ requestId: "r-1", authorization: "Bearer SeCrEt-child" }).info("from child");
    expect(output()).not.toContain("SeCrEt-");
    expect(output()).toContain("r-1");
  });

  it("survives a circular object", () => {
    const { logger, lines } = capturingLogger();
    const loop: Record<string, unknown> = { name: "loop", token: "SeCrEt-loop" };
    loop.self = loop;
    logger.info({ loop }, "circular");
    expect(JSON.parse(lines[0] ?? "").loop).toEqual({ name: "loop", token: "[redacted]", self: "[circular]" });
  });

  it("leaves non-secret fields untouched", () => {
    const { logger, lines } = capturingLogger();
    logger.info({ clientId: "arn:aws:sso::123456789012:application/ssoins-1/apl-2", grantType: "JWT_BEARER", expiresIn: 3600 }, "ok");
    expect(JSON.parse(lines[0] ?? "")).toMatchObject({ clientId: "arn:aws:sso::123456789012:application/ssoins-1/apl-2", grantType: "JWT_BEARER", expiresIn: 3600 });
  });

  it("respects the level", () => {
    const lines: string[] = [];
    const logger = createLogger({ level: "warn", destination: { write: (line: string) => void lines.push(line) } });
    logger.info("dropped");
    logger.warn("kept");
    expect(lines.map((line) => JSON.parse(line).msg)).toEqual(["kept"]);
  });
});
