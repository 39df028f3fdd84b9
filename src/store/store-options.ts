/** Shared validation helpers for store options: each message restates the contract and shows the bad value. */

export function assertPositiveInteger(name: string, value: unknown): asserts value is number {
  // Stryker disable next-line ConditionalExpression: equivalent, Number.isSafeInteger is false for every non-number
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value <= 0) {
    throw new TypeError(`${name} must be a positive integer (got ${JSON.stringify(value)})`);
  }
}

export function assertTtl(ttlMs: unknown): asserts ttlMs is number {
  assertPositiveInteger("ttlMs", ttlMs);
}

export function assertKey(label: "key" | "channel", value: unknown): asserts value is string {
  if (typeof value !== "string" || value.length === 0) {
    throw new TypeError(`${label} must be a non-empty string (got ${typeof value === "string" ? '""' : typeof value})`);
  }
}

export function assertBuffer(name: string, value: unknown): asserts value is Buffer {
  if (!Buffer.isBuffer(value)) {
    throw new TypeError(`${name} must be a Buffer (got ${typeof value})`);
  }
}

/** A one-line, secret-free description of an error for health details and logs. */
export function describeError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split("\n")[0]!.slice(0, 200);
}
