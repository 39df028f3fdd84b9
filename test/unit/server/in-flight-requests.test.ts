import type { AddressInfo } from "node:net";
import { connect } from "node:net";
import Fastify from "fastify";
import { expect, it } from "vitest";
import { trackInFlightRequests } from "../../../src/server/in-flight-requests.js";

/**
 * The count the shutdown drain waits on (in-flight-requests.ts) comes back to zero also for a
 * pipelined request whose connection closed before its body arrived and before its response reached
 * the socket (fastify answers the aborted body, and that response closes): were it left counted,
 * the drain would wait SHUTDOWN_TIMEOUT_MS for a request nobody would answer.
 */
it("counts a pipelined request out when its connection closes before its response reached the socket", async () => {
  const app = Fastify();
  const inFlight = trackInFlightRequests(app, () => true);
  let release: () => void = () => undefined;
  const released = new Promise<void>((resolve) => (release = resolve));
  let handled = 0;
  app.post("/slow", async () => {
    handled += 1;
    await released;
    return { ok: true };
  });
  await app.listen({ port: 0, host: "127.0.0.1" });
  try {
    const socket = connect({ host: "127.0.0.1", port: (app.server.address() as AddressInfo).port });
    socket.on("error", () => undefined);
    await new Promise((resolve) => socket.once("connect", resolve));
    // Two requests in one write: the second's response waits behind the first's, and its body never finishes.
    const post = (length: number, body: string) => `POST /slow HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${length}\r\n\r\n${body}`;
    socket.write(post(2, "{}") + post(100, "{"));
    for (let waited = 0; (handled < 1 || inFlight.count < 2) && waited < 5000; waited += 5) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(inFlight.count).toBe(2);
    socket.destroy();
    release();
    await Promise.race([inFlight.idle(), new Promise((_resolve, reject) => setTimeout(() => reject(new Error(`still ${inFlight.count} in flight`)), 3000))]);
    expect(inFlight.count).toBe(0);
  } finally {
    release();
    await app.close();
  }
});
