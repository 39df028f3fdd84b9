import { randomBytes } from "node:crypto";
import { connect } from "node:net";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startGateway, type GatewayProcess } from "../../support/gateway-process.js";

/**
 * A request Node's HTTP parser refuses (a header line without a colon, a control character in a
 * value) reaches the gateway's logger as a client error at trace level. Node's error carries the raw
 * bytes it was parsing (`rawPacket`): the request's Authorization and Cookie headers and its body,
 * grants included. Written as JSON, a Buffer is a list of byte values, which no search for the
 * secret's text finds, yet decodes to it at once. At LOG_LEVEL=trace (the most the gateway logs), the
 * log must hold none of those bytes, in any encoding.
 */

let gateway: GatewayProcess;

beforeAll(async () => {
  gateway = await startGateway({ env: { LOG_LEVEL: "trace" } });
});
afterAll(async () => {
  await gateway?.stop();
});

/** Writes `wire` on a new connection and resolves with whatever came back once the gateway closes it. */
function exchange(port: number, wire: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    let received = "";
    socket.setEncoding("latin1");
    socket.on("connect", () => socket.write(wire));
    socket.on("data", (data: string) => { received += data; });
    socket.on("error", () => undefined);
    const timer = setTimeout(() => socket.destroy(), 10_000);
    socket.on("close", () => {
      clearTimeout(timer);
      resolve(received);
    });
  });
}

/** Every string a log line holds, with each JSON-encoded Buffer (`{ type: "Buffer", data: [...] }`) decoded to text. */
function textsOf(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.flatMap(textsOf);
  if (value === null || typeof value !== "object") return [];
  const record = value as Record<string, unknown>;
  if (record.type === "Buffer" && Array.isArray(record.data)) return [Buffer.from(record.data as number[]).toString("latin1")];
  return Object.values(record).flatMap(textsOf);
}

it("logs a malformed request's client error without the request's bytes: no header, cookie or body in any encoding", async () => {
  const bearer = `bearer-${randomBytes(24).toString("hex")}`;
  const sessionId = randomBytes(32).toString("base64url");
  const assertion = `assertion-${randomBytes(24).toString("hex")}`;
  const body = JSON.stringify({ query: "mutation($a: String!) { x(a: $a) }", variables: { a: assertion } });
  const port = Number(new URL(gateway.url).port);
  const wire = [
    "POST /graphql HTTP/1.1",
    "Host: 127.0.0.1",
    `Authorization: Bearer ${bearer}`,
    `Cookie: __Host-idc_session=${sessionId}`,
    "content-type: application/json",
    `content-length: ${Buffer.byteLength(body)}`,
    "x-broken-header-without-a-colon",
    "",
    body,
  ].join("\r\n");

  const answer = await exchange(port, wire);
  expect(answer).toMatch(/^HTTP\/1\.1 400 /);
  // Stopped, so that everything it wrote is in.
  expect(await gateway.stop()).toBe(0);

  const texts = gateway.logLines().flatMap(textsOf).join("\n");
  const leaked = [bearer, sessionId, assertion].filter((secret) => texts.includes(secret) || gateway.output().includes(secret));
  expect(leaked.map((secret) => secret.slice(0, 12))).toEqual([]);
});
