/**
 * What the emulator was asked, for tests to assert the exact calls made: every request routed to
 * an operation counts whatever its outcome, and every error answer counts under its error type.
 */
export const OPERATIONS = [
  "CreateTokenWithIAM",
  "CreateToken",
  "RegisterClient",
  "StartDeviceAuthorization",
  "AssumeRole",
  "GetCallerIdentity",
] as const;
export type OperationName = (typeof OPERATIONS)[number];

export function isOperationName(value: string): value is OperationName {
  return (OPERATIONS as readonly string[]).includes(value);
}

export interface StatsSnapshot {
  calls: Record<OperationName, number>;
  errors: Record<string, number>;
}

export class CallStats {
  private calls = CallStats.zeroCalls();
  private errors = new Map<string, number>();

  private static zeroCalls(): Record<OperationName, number> {
    return { CreateTokenWithIAM: 0, CreateToken: 0, RegisterClient: 0, StartDeviceAuthorization: 0, AssumeRole: 0, GetCallerIdentity: 0 };
  }

  recordCall(operation: OperationName): void {
    this.calls[operation] += 1;
  }

  recordError(errorType: string): void {
    this.errors.set(errorType, (this.errors.get(errorType) ?? 0) + 1);
  }

  snapshot(): StatsSnapshot {
    return { calls: { ...this.calls }, errors: Object.fromEntries(this.errors) };
  }

  clear(): void {
    this.calls = CallStats.zeroCalls();
    this.errors.clear();
  }
}
