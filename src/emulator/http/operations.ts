/**
 * The four SSO OIDC operations on the wire: route table and the pipeline every call goes through
 * (count → read body → injected faults → SigV4 when signed → parse JSON → handler → answer).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import type { EmulatorContext } from "../emulator-context.js";
import type { OperationName } from "../devapi/stats.js";
import { createToken, registerClient, startDeviceAuthorization } from "../device/device-operations.js";
import { createTokenWithIAM } from "../grants/create-token-with-iam.js";
import { readBody, RequestAbortedError } from "./body-reader.js";
import { parseJsonObject, type JsonObject } from "./json-input.js";
import { sendJson, sendWireError } from "./respond.js";
import { oidcError, WireError } from "./wire-errors.js";

interface OperationSpec {
  signed: boolean;
  handle: (ctx: EmulatorContext, input: JsonObject) => unknown;
}

const OPERATION_SPECS: Record<OperationName, OperationSpec> = {
  CreateTokenWithIAM: { signed: true, handle: createTokenWithIAM },
  CreateToken: { signed: false, handle: createToken },
  RegisterClient: { signed: false, handle: registerClient },
  StartDeviceAuthorization: { signed: false, handle: startDeviceAuthorization },
};

/** REST-JSON routes of the model; `aws_iam=t` in the query selects CreateTokenWithIAM. */
export function routeOperation(method: string, path: string, query: URLSearchParams): OperationName | undefined {
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
  operation: OperationName,
  req: IncomingMessage,
  res: ServerResponse,
  rawPath: string,
  rawQuery: string,
): Promise<void> {
  ctx.stats.recordCall(operation);
  try {
    const body = await readBody(req);
    const plan = ctx.faults.plan(operation);
    if (plan !== undefined) {
      if (plan.latencyMs > 0) await sleep(plan.latencyMs);
      if (plan.failure?.kind === "drop") {
        req.socket.destroy();
        return;
      }
      if (plan.failure?.kind === "exception") {
        const regional = plan.failure.exception === "InvalidRequestRegionException"
          ? { endpoint: `https://oidc.${ctx.region}.amazonaws.com`, region: ctx.region }
          : {};
        throw oidcError(plan.failure.exception, "Injected fault.", { reason: plan.failure.reason, ...regional });
      }
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
