import { describe, expect, it } from "vitest";
import { createLogger } from "../../../src/logging/logger.js";
import { MAX_DEPTH, REDACTION_CENSOR } from "../../../src/logging/redaction.js";

/** Redaction at its edges, as the JSON line a log reader gets: which values count as secrets, and how far the walk goes. */
type Line = Record<string, unknown>;

function logOnce(fields: object): { line: Line; text: string } {
  const chunks: string[] = [];
  createLogger({ level: "info", destination: { write: (chunk: string) => void chunks.push(chunk) } }).info(fields, "edge");
  const text = chunks.join("");
  return { line: JSON.parse(text) as Line, text };
}

function nested(levels: number): Line {
  let object: Line = { leaf: "visible" };
  for (let level = levels; level > 0; level--) object = { [`level${level}`]: object };
  return object;
}

describe("redaction edges", () => {
  it("redacts a code that starts upper-case but goes on mixed-case (an authorization code), keeping only an all-upper-case diagnostic", () => {
    const { line, text } = logOnce({ code: "ABcdEfGh1234secret", error: { code: "ECONNRESET" } });
    expect(text).not.toContain("ABcdEfGh1234secret");
    expect(line.code).toBe(REDACTION_CENSOR);
    expect(line.error).toEqual({ code: "ECONNRESET" });
  });

  it("keeps a diagnostic-looking value only under `code`: a token or password that looks like one is redacted", () => {
    const { line } = logOnce({ token: "ECONNRESET", password: 12345 });
    expect(line).toMatchObject({ token: REDACTION_CENSOR, password: REDACTION_CENSOR });
  });

  it("writes no bytes under any key (a client error's rawPacket holds the raw request): only their count", () => {
    const rawRequest = "POST /graphql HTTP/1.1\r\nCookie: __Host-idc_session=session-id-in-bytes\r\n";
    const clientError = Object.assign(new Error("Parse Error: Invalid header value char"), { code: "HPE_INVALID_HEADER_TOKEN", rawPacket: Buffer.from(rawRequest) });
    const { line, text } = logOnce({ err: clientError, view: new Uint8Array([115, 101, 99, 114, 101, 116]) });
    expect(text).not.toContain('"type":"Buffer"');
    expect(line.err).toMatchObject({ code: "HPE_INVALID_HEADER_TOKEN", rawPacket: `[${Buffer.byteLength(rawRequest)} bytes]` });
    expect(line.view).toBe("[6 bytes]");
  });

  it("redacts a secret inside an object without a prototype", () => {
    const holder = Object.create(null) as Line;
    holder.refreshToken = "rt-in-null-prototype";
    const { line, text } = logOnce({ holder });
    expect(text).not.toContain("rt-in-null-prototype");
    expect(line.holder).toEqual({ refreshToken: REDACTION_CENSOR });
  });

  it(`walks ${MAX_DEPTH} levels below the logged object and replaces anything deeper with "[too deep]"`, () => {
    let at = logOnce(nested(MAX_DEPTH + 1)).line;
    for (let level = 1; level <= MAX_DEPTH; level++) at = at[`level${level}`] as Line;
    expect(at).toEqual({ [`level${MAX_DEPTH + 1}`]: "[too deep]" });
  });

  it("logs one object referenced under two keys twice, not as circular", () => {
    const shared = { region: "us-east-1" };
    expect(logOnce({ first: shared, second: shared }).line).toMatchObject({ first: shared, second: shared });
  });
});
