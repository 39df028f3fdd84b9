import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGateway, type GatewayProcess } from "../../support/gateway-process.js";

/**
 * A chunked body's 411 was written and the socket destroyed at once, its unread body still arriving:
 * the kernel answered with a reset, and a client that sends its whole body before it reads the answer
 * (Python's http.client, and so `requests`, with a generator body) got ConnectionResetError or
 * BrokenPipeError, never the 411 that says what to change (a review: 5 of 5 with 8 MB). A refused
 * connection now closes lingering: half-closed, what still comes read and dropped, bounded.
 */
const run = promisify(execFile);
let gateway: GatewayProcess;
beforeAll(async () => {
  gateway = await startGateway({ env: { HOST: "127.0.0.1" } });
}, 60_000);
afterAll(async () => { await gateway?.stop(); });

const CLIENT = `
import sys, http.client
port, size = int(sys.argv[1]), int(sys.argv[2])
def body():
    for _ in range(size // 8192): yield b"a" * 8192
try:
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request("POST", "/graphql", body=body(), headers={"content-type": "application/json"}, encode_chunked=True)
    print(c.getresponse().status)
except Exception as e:
    print(type(e).__name__)
`;

describe("a chunked body's 411 reaches a client that writes before it reads", () => {
  for (const size of [8 * 1024 * 1024]) {
    it(`Python http.client, ${size / 1024} KB chunked body: 411, not a reset`, async () => {
      const port = new URL(gateway.url).port;
      const answers: string[] = [];
      for (let i = 0; i < 5; i++) answers.push((await run("python3", ["-c", CLIENT, port, String(size)])).stdout.trim());
      expect(answers).toEqual(Array(5).fill("411"));
    }, 60_000);
  }
});
