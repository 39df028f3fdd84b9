import { CreateTokenWithIAMCommand, SSOOIDCClient } from "@aws-sdk/client-sso-oidc";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { HttpRequest, HttpResponse } from "@smithy/protocol-http";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import { describe, expect, it, vi } from "vitest";
import { CallSignal } from "../../../src/upstream/bounded-call.js";
import { addCallOptionsMiddleware, withCallOptions, withCallOptionsHandler } from "../../../src/upstream/call-options.js";
import { ReplayGuardedRetryStrategy } from "../../../src/upstream/replay-guard.js";

/**
 * Each call's timeout and abort signal reach the HTTP handler through a client whose middleware
 * stack is resolved once (cacheMiddleware), with no send options: the real SDK client, its real
 * middleware (serializer, retries, signing), and a handler that records what each attempt got.
 */
const ANSWER = JSON.stringify({ accessToken: "a", tokenType: "Bearer", expiresIn: 3600 });

function recordingHandler(answers: Array<number | "hang">) {
  const attempts: Array<{ abortSignal?: AbortSignal; requestTimeout?: number; path: string }> = [];
  const node = {
    handle: async (request: HttpRequest, options?: { abortSignal?: AbortSignal; requestTimeout?: number }) => {
      attempts.push({ abortSignal: options?.abortSignal, requestTimeout: options?.requestTimeout, path: request.path });
      const status = answers.shift() ?? 200;
      if (status === "hang") await new Promise(() => undefined);
      const body = status === 200 ? ANSWER : JSON.stringify({ error: "server_error" });
      return { response: new HttpResponse({ statusCode: status as number, headers: { "content-type": "application/json" }, body: Readable.from([Buffer.from(body)]) }) };
    },
    updateHttpClientConfig() {},
    httpHandlerConfigs: () => ({}),
    destroy() {},
  };
  return { attempts, handler: withCallOptionsHandler(node as unknown as NodeHttpHandler) };
}

function clientWith(handler: ReturnType<typeof recordingHandler>["handler"]) {
  const client = new SSOOIDCClient({
    region: "us-east-1", endpoint: "http://127.0.0.1:1", credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" },
    requestHandler: handler, cacheMiddleware: true, maxAttempts: 3, retryStrategy: new ReplayGuardedRetryStrategy(3, { replayable: true }),
  });
  addCallOptionsMiddleware(client.middlewareStack as never);
  return client;
}
const input = () => ({ clientId: "arn:x", grantType: "urn:ietf:params:oauth:grant-type:jwt-bearer", assertion: "eyJ" });

describe("per-call options without send options (call-options.ts)", () => {
  it("hands every attempt of each call that call's own signal and requestTimeout, the stack resolved once", async () => {
    const { attempts, handler } = recordingHandler([200, 500, 200]);
    const client = clientWith(handler);
    const first = { abortSignal: new CallSignal(), requestTimeout: 1_111 };
    const second = { abortSignal: new CallSignal(), requestTimeout: 2_222 };
    await client.send(new CreateTokenWithIAMCommand(withCallOptions(input(), first)));
    await client.send(new CreateTokenWithIAMCommand(withCallOptions(input(), second))); // a 500, then a retry
    expect(attempts.map(({ abortSignal, requestTimeout }) => [abortSignal, requestTimeout])).toEqual([
      [first.abortSignal, 1_111],
      [second.abortSignal, 2_222],
      [second.abortSignal, 2_222],
    ]);
    expect(attempts.every((attempt) => attempt.path === "/token")).toBe(true);
  });

  it("passes nothing of its own for a command built without options", async () => {
    const { attempts, handler } = recordingHandler([200]);
    await clientWith(handler).send(new CreateTokenWithIAMCommand(input()));
    expect(attempts).toEqual([{ abortSignal: undefined, requestTimeout: undefined, path: "/token" }]);
  });

  it("starts no attempt once the call's signal aborted: the retry after a 500 fails at once with an AbortError, never retried", async () => {
    const { attempts, handler } = recordingHandler([500, 200, 200]);
    const signal = new CallSignal();
    const client = clientWith(handler);
    // The first attempt's 500 arrives; the deadline passes during the back-off.
    const sent = client.send(new CreateTokenWithIAMCommand(withCallOptions(input(), { abortSignal: signal, requestTimeout: 1_000 })));
    await new Promise((resolve) => setImmediate(resolve));
    signal.abort(new Error("deadline"));
    await expect(sent).rejects.toMatchObject({ name: "AbortError" });
    expect(attempts).toHaveLength(1);
  });

  it("never retries an attempt the abort cut (the handler's AbortError)", async () => {
    const signal = new CallSignal();
    const node = {
      calls: 0,
      handle(_request: HttpRequest, options?: { abortSignal?: CallSignal }) {
        node.calls++;
        return new Promise<never>((_resolve, reject) => {
          options!.abortSignal!.onabort = () => reject(Object.assign(new Error("Request aborted"), { name: "AbortError" }));
        });
      },
      updateHttpClientConfig() {},
      httpHandlerConfigs: () => ({}),
      destroy() {},
    };
    const client = clientWith(withCallOptionsHandler(node as unknown as NodeHttpHandler));
    const sent = client.send(new CreateTokenWithIAMCommand(withCallOptions(input(), { abortSignal: signal, requestTimeout: 1_000 })));
    await new Promise((resolve) => setTimeout(resolve, 20));
    signal.abort(new Error("deadline"));
    await expect(sent).rejects.toMatchObject({ name: "AbortError" });
    expect(node.calls).toBe(1);
  });

  it("refuses, in the retry strategy itself, to retry an AbortError whatever its class", async () => {
    const strategy = new ReplayGuardedRetryStrategy(3, { replayable: true });
    const token = await strategy.acquireInitialRetryToken("scope");
    const aborted = Object.assign(new Error("Request aborted"), { name: "AbortError" });
    await expect(strategy.refreshRetryTokenForRetry(token, { error: aborted as never, errorType: "TRANSIENT" })).rejects.toThrow(/aborted/);
    const timedOut = Object.assign(new Error("timed out"), { name: "TimeoutError" });
    await expect(strategy.refreshRetryTokenForRetry(token, { error: timedOut as never, errorType: "TRANSIENT" })).resolves.toBeDefined();
  });

  it("can be added to a stack again (one per name) and delegates the handler's configuration and destroy()", () => {
    const client = clientWith(recordingHandler([]).handler);
    expect(() => addCallOptionsMiddleware(client.middlewareStack as never)).not.toThrow();
    const calls: string[] = [];
    const node = {
      handle: () => Promise.reject(new Error("unused")),
      updateHttpClientConfig: (key: string, value: unknown) => void calls.push(`update ${key}=${String(value)}`),
      httpHandlerConfigs: () => ({ requestTimeout: 7 }),
      destroy: () => void calls.push("destroy"),
    };
    const wrapped = withCallOptionsHandler(node as unknown as NodeHttpHandler);
    wrapped.updateHttpClientConfig("requestTimeout", 5);
    expect(wrapped.httpHandlerConfigs()).toEqual({ requestTimeout: 7 });
    wrapped.destroy?.();
    expect(calls).toEqual(["update requestTimeout=5", "destroy"]);
  });
});

describe("CallSignal with the SDK's own Node handler", () => {
  it("destroys the attempt in flight when the call's signal aborts, and keeps the first reason", async () => {
    const closed: Array<Promise<void>> = [];
    const server = createServer((request) => {
      // Never answers: only the abort can end the attempt.
      closed.push(new Promise((resolve) => request.socket.once("close", () => resolve())));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    const handler = new NodeHttpHandler();
    try {
      const signal = new CallSignal();
      const attempt = handler.handle(new HttpRequest({ protocol: "http:", hostname: "127.0.0.1", port, method: "POST", path: "/token", headers: {}, body: "{}" }), { abortSignal: signal });
      await vi.waitFor(() => expect(closed).toHaveLength(1));
      const deadline = new Error("deadline");
      signal.abort(deadline);
      signal.abort(new Error("later"));
      await expect(attempt).rejects.toMatchObject({ name: "AbortError" });
      await closed[0];
      expect(signal).toMatchObject({ aborted: true, reason: deadline });
    } finally {
      handler.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
