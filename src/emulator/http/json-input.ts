/**
 * Turns a raw body into a JSON object the way a REST-JSON service does, and reads typed members
 * out of it. Wrong shapes are SerializationException (as AWS answers), never a crash.
 */
import type { IncomingHttpHeaders } from "node:http";
import { protocolError } from "./wire-errors.js";

export type JsonObject = Record<string, unknown>;

const JSON_MEDIA_TYPE = /^application\/([a-z0-9.+-]*\+)?(json|x-amz-json-1\.[01])$/;

export function isJsonContentType(headers: IncomingHttpHeaders): boolean {
  const raw = headers["content-type"];
  if (raw === undefined) return false;
  const mediaType = raw.split(";")[0]!.trim().toLowerCase();
  return JSON_MEDIA_TYPE.test(mediaType);
}

/** An empty body with no content type is `{}` (the SDK always sends JSON, curl may not). */
export function parseJsonObject(headers: IncomingHttpHeaders, body: Buffer): JsonObject {
  if (body.length === 0 && headers["content-type"] === undefined) return {};
  if (!isJsonContentType(headers)) {
    throw protocolError("SerializationException", `Unsupported content type ${JSON.stringify(headers["content-type"] ?? "")}; send application/json.`);
  }
  if (body.length === 0) return {};
  let value: unknown;
  try {
    value = JSON.parse(body.toString("utf8"));
  } catch {
    throw protocolError("SerializationException", "The request body is not valid JSON.");
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw protocolError("SerializationException", "The request body must be a JSON object.");
  }
  return value as JsonObject;
}

/** A string member; null and absent both mean "not given". */
export function optionalString(input: JsonObject, name: string): string | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") {
    throw protocolError("SerializationException", `Member '${name}' must be a string.`);
  }
  return value;
}

export function optionalStringList(input: JsonObject, name: string): string[] | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.some((item) => typeof item !== "string")) {
    throw protocolError("SerializationException", `Member '${name}' must be a list of strings.`);
  }
  return value as string[];
}
