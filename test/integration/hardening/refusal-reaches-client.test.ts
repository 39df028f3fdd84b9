import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGateway, type GatewayProcess } from "../../support/gateway-process.js";

/**
 * A refusal written while the request's body is still arriving, its connection then closed, must reach a
 * client that sends its whole body before it reads the answer (Python's http.client, and so `requests`):
 * - a chunked body's 411 was written and the socket destroyed at once: the kernel answered the unread body
 *   with a reset, and the client got ConnectionResetError or BrokenPipeError (a review: 5 of 5 with 8 MB);
 * - a body over MAX_BODY_BYTES is answered 413 before it is read, with `connection: close`: Node destroyed the
 *   socket once the 413 was written, and the client got BrokenPipeError (4 of 6 with 1 MB, every time with 8 MB).
 * Both connections now close lingering: half-closed, what still comes read and dropped, bounded (http-framing.ts).
 */
const run = promisify(execFile);
let gateway: GatewayProcess;
beforeAll(async () => {
  gateway = await startGateway({ env: { HOST: "127.0.0.1" } });
}, 60_000);
afterAll(async () => { await gateway?.stop(); });

const CLIENT = `
import sys, http.client
port, size, chunked = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == "chunked"
def body():
    for _ in range(size // 8192): yield b"a" * 8192
try:
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    if chunked:
        c.request("POST", "/graphql", body=body(), headers={"content-type": "application/json"}, encode_chunked=True)
    else:
        c.request("POST", "/graphql", body=b"a" * size, headers={"content-type": "application/json"})
    r = c.getresponse()
    print(r.status, r.read().decode())
except Exception as e:
    print(type(e).__name__)
`;

async function answersOfPython(size: number, framing: "chunked" | "content-length", times: number): Promise<string[]> {
  const port = new URL(gateway.url).port;
  const answers: string[] = [];
  for (let i = 0; i < times; i++) answers.push((await run("python3", ["-c", CLIENT, port, String(size), framing])).stdout.trim());
  return answers;
}

describe("a refusal reaches a client that writes its whole body before it reads", () => {
  it("Python http.client, 8192 KB chunked body: 411, not a reset", async () => {
    const answers = await answersOfPython(8 * 1024 * 1024, "chunked", 5);
    expect(answers.map((answer) => answer.split(" ")[0])).toEqual(Array(5).fill("411"));
  }, 60_000);

  for (const size of [1024 * 1024, 8 * 1024 * 1024]) {
    it(`Python http.client, ${size / 1024} KB body with a Content-Length over MAX_BODY_BYTES: 413 PAYLOAD_TOO_LARGE, not a reset`, async () => {
      const answers = await answersOfPython(size, "content-length", 5);
      for (const answer of answers) {
        expect(answer.split(" ")[0]).toBe("413");
        expect(JSON.parse(answer.slice(4)).errors[0].extensions.code).toBe("PAYLOAD_TOO_LARGE");
      }
    }, 60_000);
  }
});
