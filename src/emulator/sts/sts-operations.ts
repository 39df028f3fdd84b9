/**
 * STS on the emulator's port: which requests are STS's (`POST /`, form-encoded: SSO OIDC has no
 * such route), and the pipeline every STS call goes through (read body → Action → count →
 * injected faults → SigV4 with signing name `sts` → handler → XML answer).
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from "node:http";
import { playFaults } from "../devapi/faults.js";
import type { EmulatorContext } from "../emulator-context.js";
import { readBody, RequestAbortedError } from "../http/body-reader.js";
import { WireError } from "../http/wire-errors.js";
import { assumeRole } from "./assume-role.js";
import { callerOf, type Caller } from "./caller.js";
import { getCallerIdentity } from "./get-caller-identity.js";
import { parseQueryBody, type QueryInput } from "./query-input.js";
import { fromProtocolError, isStsFaultCode, StsError, stsError } from "./sts-errors.js";
import { sendStsError, sendStsResult, type XmlFields } from "./sts-xml.js";

export const STS_API_VERSION = "2011-06-15";
export const STS_OPERATIONS = ["AssumeRole", "GetCallerIdentity"] as const;
export type StsOperationName = (typeof STS_OPERATIONS)[number];

const HANDLERS: Record<StsOperationName, (ctx: EmulatorContext, input: QueryInput, caller: Caller) => XmlFields> = {
  AssumeRole: assumeRole,
  GetCallerIdentity: (_ctx, _input, caller) => getCallerIdentity(caller),
};

function isStsOperation(action: string | null): action is StsOperationName {
  return action !== null && (STS_OPERATIONS as readonly string[]).includes(action);
}

/**
 * STS requests are `POST /` with a form-encoded body, or `GET /?Action=…` with the members in the
 * query (the Query protocol allows both; presigned URLs are GETs); their SigV4 scope must name `sts`.
 */
export function isStsRequest(method: string, rawPath: string, headers: IncomingHttpHeaders, rawQuery = ""): boolean {
  if (rawPath !== "/") return false;
  if (method === "GET") return new URLSearchParams(rawQuery).has("Action");
  const contentType = headers["content-type"]?.split(";")[0]?.trim().toLowerCase();
  return method === "POST" && contentType === "application/x-www-form-urlencoded";
}

/** The fault plan's failure as STS says it; a 500 asked for all operations is STS's InternalFailure. */
function injectedError(exception: string): StsError {
  const code = exception === "InternalServerException" ? "InternalFailure" : exception;
  return stsError(isStsFaultCode(code) ? code : "InternalFailure", "Injected fault.");
}

async function answer(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse, rawPath: string, rawQuery: string): Promise<void> {
  const body = await readBody(req);
  const input = req.method === "GET" ? new URLSearchParams(rawQuery) : parseQueryBody(body);
  const action = input.get("Action");
  const version = input.get("Version");
  if (!isStsOperation(action) || (version !== null && version !== STS_API_VERSION)) {
    throw stsError("InvalidAction", `Could not find operation ${String(action).slice(0, 100)} for version ${String(version).slice(0, 40)}`);
  }
  ctx.stats.recordCall(action);
  const injected = await playFaults(ctx.faults.plan(action), req.socket);
  if (injected === "dropped") return;
  if (injected !== undefined) throw injectedError(injected);
  const signer = ctx.stsSigv4.verify({ method: req.method ?? "POST", rawPath, rawQuery, headers: req.headers, body }, ctx.now());
  sendStsResult(res, action, HANDLERS[action](ctx, input, callerOf(ctx, signer)));
}

export async function runStsOperation(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse, rawPath: string, rawQuery: string): Promise<void> {
  try {
    await answer(ctx, req, res, rawPath, rawQuery);
  } catch (error) {
    if (error instanceof RequestAbortedError) return;
    let stsAnswer: StsError;
    if (error instanceof StsError) stsAnswer = error;
    else if (error instanceof WireError) stsAnswer = fromProtocolError(error);
    else {
      console.error(`[emulator] STS failed unexpectedly: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      stsAnswer = stsError("InternalFailure", "An internal error occurred in the emulator.");
    }
    ctx.stats.recordError(stsAnswer.code);
    if (stsAnswer.status === 413) res.setHeader("connection", "close");
    sendStsError(res, stsAnswer);
  }
}
