/**
 * Injected faults: added latency, a named model exception, or a dropped connection, for one
 * operation or all, for the next `count` calls (default unlimited) or at an `errorRate`.
 * A fault that triggers consumes one of its count; an errorRate miss consumes nothing.
 */
import { z } from "zod";
import { MODEL_EXCEPTION_NAMES, type ModelExceptionName } from "../http/wire-errors.js";
import { OPERATIONS, type OperationName } from "./stats.js";

export const faultSchema = z.strictObject({
  operation: z.enum(OPERATIONS).optional(),
  latencyMs: z.int().min(0).max(120_000).optional(),
  exception: z.enum(MODEL_EXCEPTION_NAMES as [ModelExceptionName, ...ModelExceptionName[]]).optional(),
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
  failure: { kind: "drop" } | { kind: "exception"; exception: ModelExceptionName; reason: string | undefined } | undefined;
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
