import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { emulatorApi, type EmulatorApi } from "../../support/gateway-emulator-api.js";
import { startGateway, type GatewayProcess } from "../../support/gateway-process.js";
import { credentialsFrom, identityContextInIdToken, browser, REFRESH_SESSION, SESSION, SIGN_IN } from "../sessions/session-support.js";

/**
 * Review probe: the parser hook (http-framing.ts) wraps pooled HTTPParsers that the same process's HTTP clients (the AWS
 * SDK's calls to the embedded emulator) and the emulator's own server reuse. Session sign-ins, refreshes and credentials
 * run while other connections are refused (chunked 411s, pipelining past the bound): none of them may fail.
 */
let gateway: GatewayProcess;
let emulator: EmulatorApi;
let port: number;
beforeAll(async () => {
  gateway = await startGateway({ env: { HOST: "127.0.0.1", SESSION_MODE: "cookie", SESSION_EXPOSE: "idToken", RATE_LIMIT_CALLER_PER_SECOND: "0", RATE_LIMIT_CALLER_UPSTREAM_PER_SECOND: "0", RATE_LIMIT_APP_PER_SECOND: "0" } });
  emulator = emulatorApi(gateway.emulatorUrl!);
  port = Number(new URL(gateway.url).port);
}, 60_000);
afterAll(async () => { await gateway?.stop(); });

function refusedTraffic(stop: () => boolean): Promise<number> {
  let sent = 0;
  const one = (wire: string) => new Promise<void>((resolve) => {
    const socket = connect({ host: "127.0.0.1", port, localAddress: "127.0.0.9" });
    socket.on("connect", () => { socket.write(wire); sent += 1; });
    socket.on("data", () => {});
    socket.on("error", () => resolve());
    socket.on("close", () => resolve());
    setTimeout(() => socket.destroy(), 2000);
  });
  const chunked = `POST /graphql HTTP/1.1\r\nHost: g\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n${"1\r\na\r\n".repeat(2000)}0\r\n\r\n`;
  const deep = "GET /healthz HTTP/1.1\r\nHost: g\r\n\r\n".repeat(50);
  return (async () => {
    while (!stop()) await Promise.all([one(chunked), one(deep), one(chunked), one(deep)]);
    return sent;
  })();
}

describe("the gateway's own outgoing HTTP calls while connections are refused", () => {
  it("30 users sign in, refresh twice and make credentials, all answered", async () => {
    let done = false;
    const refusing = refusedTraffic(() => done);
    const failures: string[] = [];
    await Promise.all(Array.from({ length: 30 }, async (_, index) => {
      const user = browser();
      const assertion = await emulator.mintAssertion({ sub: `framing-${index}` });
      const signIn = await user.post(gateway.url, SIGN_IN, { input: { grantType: "JWT_BEARER", assertion, scope: ["openid", "sts:identity_context"] } });
      if (signIn.body.errors) { failures.push(`signIn ${signIn.text}`); return; }
      for (let round = 0; round < 2; round++) {
        const refreshed = await user.post(gateway.url, REFRESH_SESSION);
        if (refreshed.body.errors) failures.push(`refresh ${refreshed.text}`);
        const { idToken } = (await user.post(gateway.url, SESSION)).body.data!.session as { idToken: string };
        const result = await credentialsFrom(gateway.url, identityContextInIdToken(idToken), user.cookie);
        if (result !== "ok") failures.push(`assume ${result}`);
      }
    }));
    done = true;
    const sent = await refusing;
    console.log({ refusedConnections: sent, failures: failures.length });
    expect(failures).toEqual([]);
    expect(sent).toBeGreaterThan(10);
  }, 120_000);
});
