import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGateway, type GatewayProcess } from "../../support/gateway-process.js";

/**
 * Requests refused before any route sees them are answered like every other transport refusal
 * (411, 413, 415, a malformed URL): a JSON body with `errors[0].extensions.code` and a message saying
 * what to fix, so a client reads one shape whatever went wrong. Node's parser refusals (headers past
 * 16 KB, headers too slow, not HTTP/1.x) used to get fastify's `{"error":"Bad Request","message":"Client
 * Error","statusCode":400}`, and an Expect other than 100-continue an empty 417.
 */

let gateway: GatewayProcess;
let port: number;

beforeAll(async () => {
  gateway = await startGateway({ env: { HEADERS_TIMEOUT_MS: "200" } });
  port = Number(new URL(gateway.url).port);
});
afterAll(async () => {
  await gateway?.stop();
});

interface RawAnswer { status: number; contentType: string | undefined; body: { errors?: Array<{ message: string; extensions?: Record<string, unknown> }> } }

/** Writes `wire` on a new connection and parses the first answer once the gateway closes it (or it is complete). */
function answerTo(wire: string): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port });
    let received = "";
    socket.setEncoding("utf8");
    socket.on("connect", () => socket.write(wire));
    socket.on("error", () => undefined);
    const timer = setTimeout(() => socket.destroy(), 10_000);
    const finish = () => {
      clearTimeout(timer);
      const [head = "", body = ""] = received.split("\r\n\r\n");
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]);
      const contentType = /\r\ncontent-type: ([^\r]+)/i.exec(head)?.[1];
      const length = Number(/\r\ncontent-length: (\d+)/i.exec(head)?.[1]);
      try {
        resolve({ status, contentType, body: JSON.parse(body.slice(0, length)) as RawAnswer["body"] });
      } catch {
        reject(new Error(`not a JSON answer: ${JSON.stringify(received.slice(0, 300))}`));
      }
    };
    socket.on("data", (data: string) => {
      received += data;
      const length = /\r\ncontent-length: (\d+)/i.exec(received)?.[1];
      const body = received.split("\r\n\r\n")[1];
      if (length !== undefined && body !== undefined && Buffer.byteLength(body) >= Number(length)) {
        socket.destroy();
      }
    });
    socket.on("close", finish);
  });
}

function expectRefusal(answer: RawAnswer, status: number, message: RegExp, retryable = false): void {
  expect(answer.status).toBe(status);
  expect(answer.contentType).toMatch(/^application\/json/);
  expect(answer.body.errors).toHaveLength(1);
  expect(answer.body.errors![0]!.extensions).toEqual({ code: "BAD_REQUEST", retryable });
  expect(answer.body.errors![0]!.message).toMatch(message);
}

describe("requests Node's HTTP parser refuses", () => {
  it("headers past 16 KB (a browser's cookies): 431 BAD_REQUEST saying so", async () => {
    const answer = await answerTo(`POST /graphql HTTP/1.1\r\nHost: x\r\nCookie: ${"c=1; ".repeat(4000)}\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}`);
    expectRefusal(answer, 431, /headers are larger than 16 KB/);
  });

  it("a header line that is not a header: 400 BAD_REQUEST naming the parser's error", async () => {
    expectRefusal(await answerTo("POST /graphql HTTP/1.1\r\nHost: x\r\nnot a header line\r\n\r\n"), 400, /^The request is not valid HTTP\/1\.1 \(HPE_[A-Z_]+\)\.$/);
  });

  it("not HTTP/1.x: 400 BAD_REQUEST", async () => {
    expectRefusal(await answerTo("POST /graphql HTTP/9.9\r\nHost: x\r\n\r\n"), 400, /^The request is not valid HTTP\/1\.1/);
  });

  it("headers not sent within HEADERS_TIMEOUT_MS: 408 BAD_REQUEST, retryable", async () => {
    expectRefusal(await answerTo("POST /graphql HTTP/1.1\r\nHost: x\r\n"), 408, /HEADERS_TIMEOUT_MS/, true);
  });

  it("an Expect other than 100-continue: 417 BAD_REQUEST", async () => {
    expectRefusal(await answerTo("POST /graphql HTTP/1.1\r\nHost: x\r\nExpect: something-else\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}"), 417, /100-continue/);
  });
});
