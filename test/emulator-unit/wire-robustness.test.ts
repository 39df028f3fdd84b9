import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type RunningEmulator } from "../../src/emulator/index.js";

let emulator: RunningEmulator;

beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
});
afterAll(() => emulator.stop());

async function post(path: string, body: string | Buffer, contentType = "application/json") {
  const response = await fetch(`${emulator.url}${path}`, { method: "POST", headers: { "content-type": contentType }, body });
  return { status: response.status, type: response.headers.get("x-amzn-errortype"), id: response.headers.get("x-amzn-requestid"), body: (await response.json()) as Record<string, unknown> };
}

describe("wire robustness", () => {
  it("answers malformed JSON with 400 SerializationException", async () => {
    const answer = await post("/client/register", "{not json");
    expect(answer).toMatchObject({ status: 400, type: "SerializationException" });
    expect(answer.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("answers a non-JSON content type with 400 SerializationException", async () => {
    const answer = await post("/client/register", "clientName=x", "application/x-www-form-urlencoded");
    expect(answer).toMatchObject({ status: 400, type: "SerializationException" });
  });

  it("answers a body over 64 KiB with 413", async () => {
    const answer = await post("/client/register", Buffer.alloc(70 * 1024, 0x20));
    expect(answer).toMatchObject({ status: 413, type: "RequestEntityTooLargeException" });
  });

  it("answers unknown routes and methods with 404 UnknownOperationException", async () => {
    const unknownPath = await post("/nope", "{}");
    expect(unknownPath).toMatchObject({ status: 404, type: "UnknownOperationException" });
    const wrongMethod = await fetch(`${emulator.url}/token`);
    expect(wrongMethod.status).toBe(404);
    expect(wrongMethod.headers.get("x-amzn-errortype")).toBe("UnknownOperationException");
  });

  it("answers a required member of the wrong type with SerializationException and a missing one with InvalidRequestException", async () => {
    expect(await post("/client/register", JSON.stringify({ clientName: 5, clientType: "public" }))).toMatchObject({ status: 400, type: "SerializationException" });
    expect(await post("/client/register", JSON.stringify({ clientType: "public" }))).toMatchObject({
      status: 400,
      type: "InvalidRequestException",
      body: { error: "invalid_request", error_description: "clientName is required." },
    });
  });

  it("rejects an unsigned CreateTokenWithIAM with 403 MissingAuthenticationTokenException", async () => {
    const answer = await post("/token?aws_iam=t", JSON.stringify({ clientId: "x", grantType: "refresh_token" }));
    expect(answer).toMatchObject({ status: 403, type: "MissingAuthenticationTokenException", body: { message: "Missing Authentication Token" } });
  });

  it("drops the connection without answering when a dropConnection fault is set, once", async () => {
    const fault = await post("/_emulator/faults", JSON.stringify({ operation: "RegisterClient", dropConnection: true, count: 1 }));
    expect(fault).toMatchObject({ status: 201, body: { id: expect.any(String), dropConnection: true, count: 1 } });
    const dropped = await new Promise<string>((resolve) => {
      const req = request(`${emulator.url}/client/register`, { method: "POST", headers: { "content-type": "application/json" } }, () => resolve("answered"));
      req.on("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? "error"));
      req.end(JSON.stringify({ clientName: "a", clientType: "public" }));
    });
    expect(dropped).toBe("ECONNRESET");
    expect((await post("/client/register", JSON.stringify({ clientName: "a", clientType: "public" }))).status).toBe(200);
  });

  it("stays up and answers correctly after garbage on the socket", async () => {
    const { connect } = await import("node:net");
    await new Promise<void>((resolve) => {
      const socket = connect(emulator.port, "127.0.0.1", () => socket.end("GARBAGE \x00\x01 HTTP/9\r\n\r\n"));
      socket.on("close", () => resolve());
      socket.on("error", () => resolve());
      socket.resume();
    });
    const health = await fetch(`${emulator.url}/_emulator/health`);
    expect(await health.json()).toEqual({ status: "ok" });
  });
});
