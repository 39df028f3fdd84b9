/**
 * The tokens of the latest successful exchange, whichever tab ran it (each tab has its own result
 * pane), so the Refresh and TokenExchange examples can be filled from it. Page memory only.
 */
let latest: { refreshToken?: string; subjectToken?: string } = {};

export function rememberTokens(result: unknown): void {
  const data = (result as { data?: Record<string, unknown> } | null)?.data;
  if (data == null || typeof data !== "object") return;
  for (const value of Object.values(data)) {
    const tokens = value as { accessToken?: unknown; refreshToken?: unknown } | null;
    if (typeof tokens?.accessToken !== "string") continue;
    latest = { subjectToken: tokens.accessToken, ...(typeof tokens.refreshToken === "string" ? { refreshToken: tokens.refreshToken } : {}) };
  }
}

/** `refreshToken` and `subjectToken` (the access token) of the latest exchange; {} before any. */
export function latestTokens(): Record<string, string> {
  return { ...latest };
}
