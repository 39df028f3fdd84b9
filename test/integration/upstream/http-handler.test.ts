import { HttpRequest } from "@smithy/protocol-http";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type RunningEmulator } from "../../../src/emulator/index.js";
import { createHttpHandler } from "../../../src/upstream/http-handler.js";
import { EmulatorDevApi } from "../../support/emulator-dev-api.js";
import { startEmulatorProxy, type EmulatorProxy } from "../../support/emulator-proxy.js";

/**
 * The upstream HTTP handler on its own, over real HTTP to the emulator: its own timeout applies to a
 * request sent outside any call policy (and throws, instead of only warning), and destroy() closes
 * the connections it keeps alive. The clients' tests cover it under a policy.
 */
let emulator: RunningEmulator;
let dev: EmulatorDevApi;
let proxy: EmulatorProxy | undefined;
const handlers: Array<{ destroy(): void }> = [];

beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
  dev = new EmulatorDevApi(emulator.url);
});
afterEach(async () => {
  for (const handler of handlers.splice(0)) handler.destroy();
  await proxy?.stop();
  proxy = undefined;
  await dev.clearFaults();
});
afterAll(() => emulator.stop());

/** An unsigned CreateTokenWithIAM: the emulator plays its injected faults before it checks the signature. */
const tokenRequest = (port: number) =>
  new HttpRequest({ protocol: "http:", hostname: "127.0.0.1", port, method: "POST", path: "/token", query: { aws_iam: "t" }, headers: { "content-type": "application/json", host: `127.0.0.1:${port}` }, body: "{}" });

describe("createHttpHandler", () => {
  it("cuts a request sent without a requestTimeout of its own at the handler's timeoutMs, with an error", async () => {
    const http = createHttpHandler({ timeoutMs: 200, connectTimeoutMs: 1000 });
    handlers.push(http);
    await dev.addFault({ operation: "CreateTokenWithIAM", latencyMs: 3000, count: 1 });
    await expect(http.handler.handle(tokenRequest(emulator.port))).rejects.toMatchObject({ name: "TimeoutError" });
  });

  it("closes the connection it kept alive on destroy()", async () => {
    proxy = await startEmulatorProxy(emulator.url);
    const http = createHttpHandler({ timeoutMs: 2000, connectTimeoutMs: 1000 });
    const port = Number(new URL(proxy.url).port);
    for (let i = 0; i < 2; i++) {
      const { response } = await http.handler.handle(tokenRequest(port));
      // Reading the body to its end frees the socket for the next request.
      for await (const _chunk of response.body as AsyncIterable<unknown>);
      expect(response.statusCode).toBe(403);
    }
    expect(proxy.connections).toBe(1);
    http.destroy();
    await proxy.allClosed();
  });
});
