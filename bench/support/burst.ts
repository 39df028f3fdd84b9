import { round } from "./load.js";

export interface BurstResult {
  wallMs: number;
  successes: number;
  failures: number;
  /** Distinct access tokens (or `identityField` values) among the successful answers (1 = every caller got the same answer). */
  distinctAccessTokens: number;
  errorCodes: Record<string, number>;
}

/**
 * Sends all `bodies` at once (one connection each: fetch opens as many as needed) and waits for
 * every answer: a thundering herd, as when many tabs or replicas ask at the same instant.
 */
export async function sendBurst(urls: readonly string[], bodies: readonly string[], field: string, identityField = "accessToken"): Promise<BurstResult> {
  const startedAt = performance.now();
  const answers = await Promise.all(
    bodies.map(async (body, index) => {
      try {
        const response = await fetch(urls[index % urls.length]!, { method: "POST", headers: { "content-type": "application/json" }, body });
        return (await response.json()) as { data?: Record<string, Record<string, string | undefined> | null>; errors?: { extensions?: { code?: string } }[] };
      } catch (error) {
        return { errors: [{ extensions: { code: `FETCH_FAILED ${(error as Error).message}` } }] };
      }
    }),
  );
  const wallMs = round(performance.now() - startedAt, 1);
  const tokens = new Set<string>();
  const errorCodes: Record<string, number> = {};
  let successes = 0;
  for (const answer of answers) {
    const accessToken = answer.data?.[field]?.[identityField];
    if (!answer.errors && accessToken) {
      successes++;
      tokens.add(accessToken);
    } else {
      const code = answer.errors?.[0]?.extensions?.code ?? "NO_DATA";
      errorCodes[code] = (errorCodes[code] ?? 0) + 1;
    }
  }
  return { wallMs, successes, failures: answers.length - successes, distinctAccessTokens: tokens.size, errorCodes };
}
