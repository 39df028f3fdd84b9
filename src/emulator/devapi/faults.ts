/**
 * Injected faults: added latency, a named model exception, or a dropped connection, for one
 * operation or all, for the next `count` calls (default unlimited) or at an `errorRate`.
 * A fault that triggers consumes one of its count; an errorRate miss consumes nothing.
 * An exception fault only touches operations whose service has that error (SSO OIDC's exceptions,
 * STS's codes; `InternalServerException` is both services' 500).
 */
import type { Socket } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { z } from "zod";
import { isModelExceptionName, MODEL_EXCEPTION_NAMES } from "../http/wire-errors.js";
import { isStsFaultCode, STS_FAULT_CODES } from "../sts/sts-errors.js";
import { OPERATIONS, type OperationName } from "./stats.js";

const STS_OPERATIONS: readonly OperationName[] = ["AssumeRole", "GetCallerIdentity"];

/** Whether the service behind `operation` has an error named `exception` (a 500 is everyone's). */
export function serviceHasException(operation: OperationName, exception: string): boolean {
  if (exception === "InternalServerException") return true;
  return STS_OPERATIONS.includes(operation) ? isStsFaultCode(exception) : isModelExceptionName(exception);
}

const FAULT_EXCEPTIONS = [...new Set([...MODEL_EXCEPTION_NAMES, ...STS_FAULT_CODES])] as [string, ...string[]];

export const faultSchema = z.strictObject({
  operation: z.enum(OPERATIONS).optional(),
  latencyMs: z.int().min(0).max(120_000).optional(),
  exception: z.enum(FAULT_EXCEPTIONS).optional(),
  reason: z.string().min(1).optional(),
  count: z.int().min(1).optional(),
  errorRate: z.number().min(0).max(1).optional(),
  dropConnection: z.boolean().optional(),
});

export type FaultInput = z.infer<typeof faultSchema>;

export interface Fault extends FaultInput {
  id: string;
  /** Calls still to affect; undefined = unlimited. */
  remaining: number | undefined;
}

/** What to do to one call: the sum of triggered latencies and the first triggered failure. */
export interface FaultPlan {
  latencyMs: number;
  failure: { kind: "drop" } | { kind: "exception"; exception: string; reason: string | undefined } | undefined;
}

/**
 * Plays a call's faults up to its answer: waits the added latency, drops the connection when asked.
 * Returns the exception to answer with, "dropped" (nothing more to send), or undefined (carry on).
 */
export async function playFaults(plan: FaultPlan | undefined, socket: Socket): Promise<string | "dropped" | undefined> {
  if (plan === undefined) return undefined;
  if (plan.latencyMs > 0) await sleep(plan.latencyMs);
  if (plan.failure?.kind === "drop") {
    socket.destroy();
    return "dropped";
  }
  return plan.failure?.exception;
}

export class FaultInjector {
  private faults: Fault[] = [];
  private nextId = 1;

  constructor(private readonly random: () => number = Math.random) {}

  add(input: FaultInput): Fault {
    const fault: Fault = { ...input, id: `fault-${this.nextId++}`, remaining: input.count };
    this.faults.push(fault);
    return fault;
  }

  clear(): number {
    const cleared = this.faults.length;
    this.faults = [];
    return cleared;
  }

  get size(): number {
    return this.faults.length;
  }

  plan(operation: OperationName): FaultPlan | undefined {
    if (this.faults.length === 0) return undefined;
    const plan: FaultPlan = { latencyMs: 0, failure: undefined };
    let triggered = false;
    for (const fault of this.faults) {
      if (fault.operation !== undefined && fault.operation !== operation) continue;
      if (fault.exception !== undefined && !serviceHasException(operation, fault.exception)) continue;
      if (fault.errorRate !== undefined && this.random() >= fault.errorRate) continue;
      const failure = fault.dropConnection
        ? ({ kind: "drop" } as const)
        : fault.exception !== undefined
          ? ({ kind: "exception", exception: fault.exception, reason: fault.reason } as const)
          : undefined;
      // A failure fault behind an earlier failure would not be visible: leave its count alone.
      if (failure !== undefined && plan.failure !== undefined) continue;
      triggered = true;
      plan.latencyMs += fault.latencyMs ?? 0;
      plan.failure ??= failure;
      if (fault.remaining !== undefined) fault.remaining -= 1;
    }
    this.faults = this.faults.filter((fault) => fault.remaining === undefined || fault.remaining > 0);
    return triggered ? plan : undefined;
  }
}
