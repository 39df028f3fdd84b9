/**
 * Reads a request body with a size limit. Over the limit, the rest is drained without being kept
 * (so the client still gets to read our 413 instead of a reset connection), up to a hard cap after
 * which the socket is simply destroyed.
 */
import type { IncomingMessage } from "node:http";
import { protocolError, WireError } from "./wire-errors.js";

export class RequestAbortedError extends Error {
  override name = "RequestAbortedError";
}

export const MAX_BODY_BYTES = 64 * 1024;
const DRAIN_CAP_BYTES = 8 * 1024 * 1024;

export function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const tooLarge = (): WireError =>
      protocolError("RequestEntityTooLargeException", `Request body must be at most ${limit} bytes.`);
    const declared = Number(req.headers["content-length"]);
    let overLimit = Number.isFinite(declared) && declared > limit;
    const chunks: Buffer[] = [];
    let received = 0;
    req.on("data", (chunk: Buffer) => {
      received += chunk.length;
      if (received > DRAIN_CAP_BYTES) {
        req.destroy();
        return;
      }
      if (received > limit) overLimit = true;
      if (!overLimit) chunks.push(chunk);
    });
    req.on("end", () => (overLimit ? reject(tooLarge()) : resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks))));
    req.on("error", reject);
    req.on("close", () => {
      if (!req.complete) reject(new RequestAbortedError("request aborted before its body was complete"));
    });
  });
}
