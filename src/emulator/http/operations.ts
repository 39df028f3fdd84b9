/**
 * The four SSO OIDC operations on the wire: route table and the pipeline every call goes through
 * (count → read body → injected faults → SigV4 when signed → parse JSON → handler → answer).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { EmulatorContext } from "../emulator-context.js";
import type { OperationName } from "../devapi/stats.js";
import { createToken, registerClient, startDeviceAuthorization } from "../device/device-operations.js";
import { playFaults } from "../devapi/faults.js";
import { createTokenWithIAM } from "../grants/create-token-with-iam.js";
import { readBody, RequestAbortedError } from "./body-reader.js";
import { parseJsonObject, type JsonObject } from "./json-input.js";
import { sendJson, sendWireError } from "./respond.js";
import { isModelExceptionName, oidcError, WireError } from "./wire-errors.js";

interface OperationSpec {
  signed: boolean;
  handle: (ctx: EmulatorContext, input: JsonObject) => unknown;
}

export type SsoOidcOperationName = Exclude<OperationName, "AssumeRole" | "GetCallerIdentity">;

const OPERATION_SPECS: Record<SsoOidcOperationName, OperationSpec> = {
  CreateTokenWithIAM: { signed: true, handle: createTokenWithIAM },
  CreateToken: { signed: false, handle: createToken },
  RegisterClient: { signed: false, handle: registerClient },
  StartDeviceAuthorization: { signed: false, handle: startDeviceAuthorization },
};

/** REST-JSON routes of the model; `aws_iam=t` in the query selects CreateTokenWithIAM. */
export function routeOperation(method: string, path: string, query: URLSearchParams): SsoOidcOperationName | undefined {
  if (method !== "POST") return undefined;
  switch (path) {
    case "/token":
      return query.get("aws_iam") === "t" ? "CreateTokenWithIAM" : "CreateToken";
    case "/client/register":
      return "RegisterClient";
    case "/device_authorization":
      return "StartDeviceAuthorization";
    default:
      return undefined;
  }
}

export async function runOperation(
  ctx: EmulatorContext,
  operation: SsoOidcOperationName,
  req: IncomingMessage,
  res: ServerResponse,
  rawPath: string,
  rawQuery: string,
): Promise<void> {
  ctx.stats.recordCall(operation);
  try {
    const body = await readBody(req);
    const plan = ctx.faults.plan(operation);
    const injected = await playFaults(plan, req.socket);
    if (injected === "dropped") return;
    if (injected !== undefined && isModelExceptionName(injected)) {
      const regional = injected === "InvalidRequestRegionException"
        ? { endpoint: `https://oidc.${ctx.region}.amazonaws.com`, region: ctx.region }
        : {};
      const reason = plan?.failure?.kind === "exception" ? plan.failure.reason : undefined;
      throw oidcError(injected, "Injected fault.", { reason, ...regional });
    }
    const spec = OPERATION_SPECS[operation];
    if (spec.signed) {
      ctx.sigv4.verify({ method: req.method ?? "POST", rawPath, rawQuery, headers: req.headers, body }, ctx.now());
    }
    const input = parseJsonObject(req.headers, body);
    const output = await spec.handle(ctx, input);
    sendJson(res, 200, output);
  } catch (error) {
    // The client went away mid-body: nobody to answer.
    if (error instanceof RequestAbortedError) return;
    const wire = error instanceof WireError ? error : oidcError("InternalServerException", "An internal error occurred in the emulator.");
    if (!(error instanceof WireError)) {
      // An emulator bug: answer like the service (500) and say so on stderr, without request data.
      console.error(`[emulator] ${operation} failed unexpectedly: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    }
    ctx.stats.recordError(wire.errorType);
    sendWireError(res, wire);
  }
}
