import { execFile } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type RunningEmulator } from "../../../src/emulator/index.js";
import { mintExampleAssertion } from "../../../src/server/example-assertion.js";
import { formatStartupBanner } from "../../../src/server/startup-banner.js";

const run = promisify(execFile);
const FACTS = { version: "1.2.3", url: "http://localhost:4000/graphql", mode: "embedded" as const, region: "us-east-1", upstreamLabel: "emulator" };

/** The curl command of a banner, as a user would copy it. */
function curlOf(banner: string): string {
  const lines = banner.split("\n");
  const start = lines.findIndex((line) => line.startsWith("curl "));
  const command: string[] = [];
  for (const line of lines.slice(start)) {
    command.push(line);
    if (!line.endsWith("\\")) break;
  }
  return command.join("\n");
}

describe("formatStartupBanner", () => {
  it("names the version, URL, health URL, mode and region", () => {
    const banner = formatStartupBanner(FACTS);
    expect(banner).toContain("idc-token-gateway 1.2.3 is ready");
    expect(banner).toContain("GraphQL:   http://localhost:4000/graphql");
    expect(banner).toContain("Health:    http://localhost:4000/healthz");
    expect(banner).toContain("Mode:      embedded (emulator, region us-east-1)");
  });

  it("prints a curl command whose body is the JWT_BEARER exchange with the given assertion, even one holding a quote", async () => {
    const assertion = "header.pay'load.sig";
    const command = curlOf(formatStartupBanner({ ...FACTS, exampleAssertion: assertion }));
    // Let bash parse the command exactly as printed, then echo the --data argument back.
    const { stdout } = await run("bash", ["-c", `curl() { printf '%s' "\${@: -1}"; }\n${command}`]);
    const body = JSON.parse(stdout) as { query: string; variables: { input: Record<string, unknown> } };
    expect(body.variables.input).toEqual({ grantType: "JWT_BEARER", assertion });
    expect(body.query).toContain("createTokenWithIAM(input: $input)");
  });

  it("falls back to a gateway query when there is no assertion to show", () => {
    const banner = formatStartupBanner({ ...FACTS, mode: "aws" });
    expect(curlOf(banner)).toContain("{ gateway { version upstreamMode region supportedGrantTypes defaultClientId } }");
    expect(banner).not.toContain("JWT_BEARER");
  });
});

describe("mintExampleAssertion", () => {
  let emulator: RunningEmulator;
  let broken: Server;
  beforeAll(async () => {
    emulator = await startEmulator({ port: 0, host: "127.0.0.1" });
    broken = createServer((_request, response) => response.writeHead(500).end("{}"));
    await new Promise<void>((resolve) => broken.listen(0, "127.0.0.1", resolve));
  });
  afterAll(async () => {
    await emulator?.stop();
    await new Promise((resolve) => broken?.close(resolve));
  });

  it("returns a JWT minted by the emulator's built-in issuer for the subject, valid for an hour", async () => {
    const assertion = await mintExampleAssertion(emulator.url, "carol");
    const payload = JSON.parse(Buffer.from(assertion!.split(".")[1]!, "base64url").toString("utf8")) as { sub: string; iat: number; exp: number };
    expect(payload.sub).toBe("carol");
    expect(payload.exp - payload.iat).toBe(3600);
  });

  it("returns undefined instead of failing when the emulator answers an error or cannot be reached", async () => {
    expect(await mintExampleAssertion(`http://127.0.0.1:${(broken.address() as AddressInfo).port}`)).toBeUndefined();
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    expect(await mintExampleAssertion(`http://127.0.0.1:${port}`)).toBeUndefined();
  });
});
