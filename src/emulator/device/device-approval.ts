/**
 * The user's side of the device flow: find a pending authorization by the code the user typed, and
 * approve or deny it. Called by `POST /_emulator/device/approve|deny` and by the `/device` page;
 * refusals are OAuthFlowErrors (never redirectable: the device flow has no redirect URI).
 */
import type { EmulatorContext } from "../emulator-context.js";
import { OAuthFlowError } from "../grants/oauth-flow-error.js";
import type { DeviceAuthorization } from "./device-store.js";

/** Users type codes loosely: `bcdf ghjk`, `bcdfghjk` and `BCDF-GHJK` are the same code. */
export function normalizeUserCode(userCode: string): string {
  const letters = userCode.toUpperCase().replace(/[\s-]/g, "");
  return letters.length === 8 ? `${letters.slice(0, 4)}-${letters.slice(4)}` : userCode.trim().toUpperCase();
}

export interface PendingDeviceAuthorization {
  userCode: string;
  clientName: string;
  /** Epoch ms. */
  expiresAt: number;
}

function pending(ctx: EmulatorContext, userCode: string): DeviceAuthorization | undefined {
  const authorization = ctx.devices.byUserCode.get(normalizeUserCode(userCode));
  if (authorization === undefined || authorization.status.kind !== "pending" || authorization.expiresAt <= ctx.now()) return undefined;
  return authorization;
}

/** The pending, unexpired authorization this user code names, for a page to show; else undefined. */
export function findPendingDeviceAuthorization(ctx: EmulatorContext, userCode: string): PendingDeviceAuthorization | undefined {
  const authorization = pending(ctx, userCode);
  if (authorization === undefined) return undefined;
  const clientName = ctx.devices.clients.get(authorization.clientId)?.clientName ?? "";
  return { userCode: authorization.userCode, clientName, expiresAt: authorization.expiresAt };
}

function pendingOrThrow(ctx: EmulatorContext, userCode: string): DeviceAuthorization {
  const authorization = pending(ctx, userCode);
  if (authorization === undefined) throw new OAuthFlowError("invalid_request", "userCode: no pending device authorization has this user code", false);
  return authorization;
}

/** The user `sub` approves: the device's next CreateToken poll gets tokens for `sub`. */
export function approveDeviceAuthorization(ctx: EmulatorContext, userCode: string, sub: string): void {
  if (sub === "") throw new OAuthFlowError("invalid_request", "sub: required", false);
  pendingOrThrow(ctx, userCode).status = { kind: "approved", sub };
}

/** The user denies: the device's next CreateToken poll gets AccessDeniedException. */
export function denyDeviceAuthorization(ctx: EmulatorContext, userCode: string): void {
  pendingOrThrow(ctx, userCode).status = { kind: "denied" };
}
