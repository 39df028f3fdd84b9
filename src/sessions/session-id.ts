import { randomBytes } from "node:crypto";

/** 256 random bits: unguessable, and as long as a key the keyspace derives from it. */
const SESSION_ID_BYTES = 32;
const SESSION_ID_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** A new session id: 32 random bytes, base64url (43 characters). */
export function newSessionId(): string {
  return randomBytes(SESSION_ID_BYTES).toString("base64url");
}

/** True for a string shaped like a session id; anything else a cookie carries is treated as no session. */
export function isSessionId(value: unknown): value is string {
  return typeof value === "string" && SESSION_ID_PATTERN.test(value);
}
