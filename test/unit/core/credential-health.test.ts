import { afterEach, describe, expect, it, vi } from "vitest";
import { createLogger } from "../../../src/logging/logger.js";
import { createCredentialHealth, REJECTED_RECHECK_MS } from "../../../src/upstream/credential-health.js";
import type { CredentialVerification } from "../../../src/upstream/credential-verifier.js";

const missing = () => Object.assign(new Error("Could not load credentials from any providers"), { name: "CredentialsProviderError" });
const badSignature = { cause: "bad-signature", reason: "AWS rejected the gateway's request signature (InvalidSignatureException, HTTP 403)" } as const;
const unrecognized = { cause: "unrecognized-key", reason: "AWS does not recognise the gateway's access key id (UnrecognizedClientException, HTTP 403)" } as const;

function harness(resolve: () => Promise<unknown> = async () => ({})) {
  const lines: Array<{ level: number; msg: string; cause?: string }> = [];
  const logger = createLogger({ level: "debug", destination: { write: (line: string) => void lines.push(JSON.parse(line)) } });
  return { health: createCredentialHealth(logger, "default chain", resolve), lines, messages: () => lines.map((line) => [line.level, line.msg]) };
}

afterEach(() => {
  vi.useRealTimers();
});

describe("createCredentialHealth", () => {
  it("logs a cause at error once however many calls fail with it, and a new cause once more", () => {
    const { health, lines } = harness();
    for (let i = 0; i < 5; i++) health.failed(badSignature, `req-${i}`);
    health.failed(unrecognized);
    expect(lines.filter((line) => line.level === 50).map((line) => line.cause)).toEqual(["bad-signature", "unrecognized-key"]);
    expect(health.health()).toEqual({ ok: false, credentials: "rejected", detail: `gateway AWS credentials: ${unrecognized.reason}` });
  });

  it("clears when AWS processes a call, and logs the same cause again if it comes back", () => {
    const { health, messages } = harness();
    health.failed(badSignature);
    health.accepted();
    expect(health.health()).toEqual({ ok: true, credentials: "ok", detail: "" });
    health.failed(badSignature);
    expect(messages().map(([level]) => level)).toEqual([50, 30, 50]);
    expect(messages()[1]).toEqual([30, "the gateway's AWS credentials work again"]);
  });

  it("names missing credentials found at start, and a readiness probe after 5 s resolves the chain again and clears them once found", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    let found = false;
    const { health, messages } = harness(async () => {
      if (!found) throw missing();
      return { accessKeyId: "AKID" };
    });
    await health.check();
    expect(health.health()).toMatchObject({ ok: false, credentials: "missing", detail: expect.stringMatching(/^gateway AWS credentials: no AWS credentials: /) });
    found = true;
    expect(health.health().ok).toBe(false); // within 5 s of the last check: no new resolution
    vi.setSystemTime(Date.now() + 5_000);
    health.health(); // starts the re-check
    await vi.waitFor(() => expect(health.health()).toEqual({ ok: true, credentials: "ok", detail: "" }));
    expect(messages()).toEqual([
      [50, "the gateway has no AWS credentials: exchanges answer GATEWAY_CREDENTIALS_INVALID and /readyz is not ready until they are provided"],
      [30, "the gateway's AWS credentials were found"],
    ]);
  });

  it("a refusal that arrives while a verification is in flight stands: only the problem the verification was asked about is cleared by it", async () => {
    let answer: ((verification: CredentialVerification) => void) | undefined;
    const logger = createLogger({ level: "silent" });
    const health = createCredentialHealth(logger, "static", async () => ({}), () => new Promise((resolve) => (answer = resolve)));
    const verifying = health.check();
    await vi.waitFor(() => expect(answer).toBeTypeOf("function"));
    health.failed({ cause: "access-denied", reason: "AWS denied the gateway's own principal (AccessDeniedException, HTTP 403)" });
    answer!({ outcome: "verified", principalArn: "arn:aws:iam::123456789012:user/gw" });
    await verifying;
    expect(health.health()).toMatchObject({ ok: false, credentials: "rejected", detail: expect.stringContaining("AccessDeniedException") });
  });

  it("without a verify, a rejection is never rechecked (only a processed call clears it)", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    let resolutions = 0;
    const { health } = harness(async () => void resolutions++);
    health.failed(badSignature);
    vi.setSystemTime(Date.now() + REJECTED_RECHECK_MS * 2);
    health.health();
    expect(resolutions).toBe(0);
  });
});

