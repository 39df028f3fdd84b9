/**
 * Reading a sign-in form's POST: same-origin only (a second CSRF defence beside the form token)
 * and form-encoded, as a browser submits it.
 */
import type { IncomingMessage } from "node:http";
import { readBody } from "../http/body-reader.js";

/** Forms are a few short fields; anything bigger is not from our pages. */
const MAX_FORM_BYTES = 8 * 1024;

export type FormPost = { kind: "form"; fields: URLSearchParams } | { kind: "refused"; status: number; reason: string };

/**
 * Browsers name the page that sent a POST in `Origin` and say whether it was another site in
 * `Sec-Fetch-Site`; when they do, it must be this emulator. Scripts (curl) send neither and are
 * held to the form token alone.
 */
export function crossOriginReason(req: IncomingMessage): string | undefined {
  const origin = req.headers.origin;
  const host = req.headers.host;
  if (origin !== undefined && (host === undefined || origin !== `http://${host}`)) return "the form was posted from another origin";
  const site = req.headers["sec-fetch-site"];
  if (site !== undefined && site !== "same-origin") return "the form was posted from another site";
  return undefined;
}

export async function readFormPost(req: IncomingMessage): Promise<FormPost> {
  const refusal = crossOriginReason(req);
  if (refusal !== undefined) {
    req.resume();
    return { kind: "refused", status: 403, reason: refusal };
  }
  const type = (req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
  if (type !== "application/x-www-form-urlencoded") {
    req.resume();
    return { kind: "refused", status: 415, reason: "the form must be sent as application/x-www-form-urlencoded" };
  }
  const body = await readBody(req, MAX_FORM_BYTES);
  return { kind: "form", fields: new URLSearchParams(body.toString("utf8")) };
}
