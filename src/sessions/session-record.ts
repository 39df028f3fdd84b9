import { decodeIssuedToken } from "../tokens/issued-token-codec.js";
import type { IssuedToken } from "../tokens/token.types.js";

/**
 * What a session id's key holds (sealed): a live session, or the forwarding note a refresh leaves
 * behind when it rotates the id, so requests still carrying the old cookie (another tab, a request
 * in flight) reach the new session for a grace window instead of being signed out.
 */
export type SessionRecord = LiveSessionRecord | RotatedSessionRecord;

export interface LiveSessionRecord {
  state: "live";
  /** Every token, the refresh token included: it never leaves the gateway. */
  token: IssuedToken;
  subject: string | null;
  signedInAt: number;
  absoluteExpiresAt: number;
  /** The user's session slot this sign-in holds (user-session-slots.ts), kept across refreshes; absent without a subject or a limit. */
  slot?: { index: number; lineage: string };
  /** The id this session was refreshed from, and when: that id forwards here until the browser uses this one. */
  rotatedFrom?: { id: string; at: number };
}

export interface RotatedSessionRecord {
  state: "rotated";
  successorId: string;
  /** Epoch ms after which the old id no longer leads anywhere. */
  forwardUntil: number;
}

export function encodeSessionRecord(record: SessionRecord): Buffer {
  return Buffer.from(JSON.stringify(record), "utf8");
}

/** The record, or a TypeError for bytes that are not one (a value written by another version, or garbage). */
export function decodeSessionRecord(bytes: Buffer): SessionRecord {
  const value = JSON.parse(bytes.toString("utf8")) as Partial<Record<"state" | "token" | "subject" | "signedInAt" | "absoluteExpiresAt" | "slot" | "rotatedFrom" | "successorId" | "forwardUntil", unknown>> | null;
  if (value?.state === "live" && typeof value.signedInAt === "number" && typeof value.absoluteExpiresAt === "number"
    && (typeof value.subject === "string" || value.subject === null) && value.token !== undefined) {
    const token = decodeIssuedToken(Buffer.from(JSON.stringify(value.token), "utf8"));
    const slot = value.slot as { index?: unknown; lineage?: unknown } | undefined;
    const rotatedFrom = value.rotatedFrom as { id?: unknown; at?: unknown } | undefined;
    return {
      state: "live", token, subject: value.subject as string | null, signedInAt: value.signedInAt, absoluteExpiresAt: value.absoluteExpiresAt,
      ...(typeof slot?.index === "number" && typeof slot.lineage === "string" ? { slot: { index: slot.index, lineage: slot.lineage } } : {}),
      ...(typeof rotatedFrom?.id === "string" && typeof rotatedFrom.at === "number" ? { rotatedFrom: { id: rotatedFrom.id, at: rotatedFrom.at } } : {}),
    };
  }
  if (value?.state === "rotated" && typeof value.successorId === "string" && typeof value.forwardUntil === "number") {
    return { state: "rotated", successorId: value.successorId, forwardUntil: value.forwardUntil };
  }
  throw new TypeError("stored session is malformed");
}

/** Sign-in's absolute expiry, or a refresh's (kept): never past the access token when no refresh token can renew it. */
export function absoluteExpiryOf(token: IssuedToken, bound: number): number {
  if (token.refreshToken !== undefined || token.expiresIn === undefined) return bound;
  return Math.min(bound, token.issuedAt + token.expiresIn * 1000);
}

/** A live record stays in the store for one idle timeout from its last use, never past its absolute expiry. */
export function recordTtlMs(record: LiveSessionRecord, at: number, idleMs: number): number {
  return Math.min(idleMs, record.absoluteExpiresAt - at);
}
