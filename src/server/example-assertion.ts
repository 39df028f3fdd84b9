/**
 * Asks the embedded emulator's developer API for a JWT from its built-in trusted issuer, so the
 * start-up banner can print an example that works as is. Returns undefined (the banner then
 * shows a plainer example) rather than failing start-up over a convenience.
 */
export const EXAMPLE_ASSERTION_LIFETIME_SECONDS = 3600;

export async function mintExampleAssertion(emulatorUrl: string, subject = "alice"): Promise<string | undefined> {
  try {
    const response = await fetch(new URL("/_emulator/assertions", emulatorUrl), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ sub: subject, expiresInSeconds: EXAMPLE_ASSERTION_LIFETIME_SECONDS }),
      signal: AbortSignal.timeout(2000),
    });
    if (!response.ok) return undefined;
    const body = (await response.json()) as { assertion?: unknown };
    return typeof body.assertion === "string" ? body.assertion : undefined;
  } catch {
    return undefined;
  }
}
