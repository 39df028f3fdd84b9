/**
 * Raw HTTP for emulator tests that must go below the SDK: hand-made requests (fuzzing, missing
 * headers) and SigV4 requests signed with @smithy/signature-v4 and then, optionally, tampered with.
 */
import http from "node:http";
import { Hash } from "@smithy/hash-node";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";

export interface RawRequest {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Abort and reject when no answer arrives in time (a hang is a failure). Default 5000 ms. */
  timeoutMs?: number;
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: unknown;
}

/** Sends one request with node:http (no keep-alive) and collects the whole answer. */
export function rawRequest(baseUrl: string, request: RawRequest): Promise<RawResponse> {
  const url = new URL(baseUrl);
  const headers = { ...request.headers };
  // node:http sends a GET/DELETE body without Content-Length, which the server would read as a
  // second request; always frame the body explicitly.
  if (request.body !== undefined && !Object.keys(headers).some((name) => name.toLowerCase() === "content-length")) {
    headers["content-length"] = String(Buffer.byteLength(request.body));
  }
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        method: request.method,
        path: request.path,
        headers,
        agent: false,
        timeout: request.timeoutMs ?? 5000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("error", reject);
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
      },
    );
    req.on("timeout", () => req.destroy(new Error(`no answer within ${request.timeoutMs ?? 5000} ms`)));
    req.on("error", reject);
    req.end(request.body);
  });
}

export interface SignOptions {
  baseUrl: string;
  body: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  service?: string;
  /** The signing time (default now). */
  signingDate?: Date;
  /** Include `x-amz-content-sha256` in the signed headers. */
  contentSha256Header?: boolean;
  /** Extra headers to sign. */
  headers?: Record<string, string>;
  /** Headers present at signing time that should not be signed (e.g. "host"). */
  unsignableHeaders?: Set<string>;
}

/** Signs `POST /token?aws_iam=t` as the SDK would (service `sso-oauth`) and returns path + headers. */
export async function signCreateTokenWithIAM(options: SignOptions): Promise<{ path: string; headers: Record<string, string> }> {
  const url = new URL(options.baseUrl);
  const signer = new SignatureV4({
    service: options.service ?? "sso-oauth",
    region: options.region,
    credentials: options.credentials,
    sha256: Hash.bind(null, "sha256"),
    applyChecksum: options.contentSha256Header ?? false,
  });
  const request = new HttpRequest({
    method: "POST",
    protocol: url.protocol,
    hostname: url.hostname,
    port: Number(url.port),
    path: "/token",
    query: { aws_iam: "t" },
    headers: { host: url.host, "content-type": "application/json", ...options.headers },
    body: options.body,
  });
  const signed = await signer.sign(request, {
    signingDate: options.signingDate ?? new Date(),
    unsignableHeaders: options.unsignableHeaders,
  });
  return { path: "/token?aws_iam=t", headers: { ...(signed.headers as Record<string, string>) } };
}
