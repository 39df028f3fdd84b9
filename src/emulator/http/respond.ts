/**
 * Writing answers. Every response carries `x-amzn-requestid`; error answers also carry
 * `x-amzn-errortype` and are counted in the stats by the caller.
 */
import { randomUUID } from "node:crypto";
import type { ServerResponse } from "node:http";
import type { WireError } from "./wire-errors.js";

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(payload),
    "x-amzn-requestid": randomUUID(),
    ...headers,
  });
  res.end(payload);
}

export function sendWireError(res: ServerResponse, error: WireError): void {
  const headers: Record<string, string> = { "x-amzn-errortype": error.errorType };
  // After a 413 the rest of an oversized body is not worth reading: let the client reconnect.
  if (error.status === 413) headers.connection = "close";
  sendJson(res, error.status, error.body, headers);
}
