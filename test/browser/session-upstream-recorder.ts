import { createServer, request as httpRequest, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A pass-through HTTP proxy between the gateways and the emulator that remembers every token the
 * emulator issued (accessToken, refreshToken, idToken of each answer). The browser tests then
 * look for those exact values in what page scripts received. Requests go through byte for byte,
 * Host header included, so the emulator's SigV4 check sees what the gateway signed.
 */
export interface UpstreamRecorder {
  /** `http://127.0.0.1:PORT`: the gateways' SSO_OIDC_ENDPOINT. */
  url: string;
  /** Every token value the emulator has issued so far. */
  issuedTokens(): string[];
  stop(): Promise<void>;
}

const TOKEN_FIELDS = ["accessToken", "refreshToken", "idToken"] as const;

export async function startUpstreamRecorder(emulatorUrl: string): Promise<UpstreamRecorder> {
  const target = new URL(emulatorUrl);
  const issued = new Set<string>();

  const remember = (body: Buffer) => {
    try {
      const parsed = JSON.parse(body.toString("utf8")) as Record<string, unknown>;
      for (const field of TOKEN_FIELDS) {
        const value = parsed[field];
        if (typeof value === "string" && value !== "") issued.add(value);
      }
    } catch {
      // Not JSON (an STS XML answer, an empty body): it carries none of these tokens.
    }
  };

  const server: Server = createServer((incoming, outgoing) => {
    const forwarded = httpRequest(
      { host: target.hostname, port: target.port, method: incoming.method, path: incoming.url, headers: incoming.headers },
      (answer: IncomingMessage) => {
        const chunks: Buffer[] = [];
        answer.on("data", (chunk: Buffer) => chunks.push(chunk));
        answer.on("end", () => {
          const body = Buffer.concat(chunks);
          remember(body);
          outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
          outgoing.end(body);
        });
      },
    );
    forwarded.on("error", () => outgoing.destroy());
    incoming.pipe(forwarded);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    issuedTokens: () => [...issued],
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
