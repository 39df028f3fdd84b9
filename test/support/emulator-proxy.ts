import { createServer, request as httpRequest, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo, Socket } from "node:net";

/**
 * An in-process HTTP proxy in front of the emulator, for what the emulator (like AWS) never does on
 * its own: answers with members left out (`rewrite`), and a view of the client's TCP connections
 * (how many it opened, and when they all closed). Requests go through unchanged, the `host` header
 * included, so the emulator still verifies the SDK's SigV4 signature.
 */
export interface EmulatorProxy {
  /** `http://127.0.0.1:port`: the SDK client's endpoint. */
  url: string;
  /** Connections clients have opened to the proxy so far. */
  readonly connections: number;
  /** Resolves once every connection opened to the proxy so far is closed (by the client). */
  allClosed(): Promise<void>;
  stop(): Promise<void>;
}

/** Rewrites one answer's body; `headers` may be edited in place (e.g. to drop the request id). */
export type AnswerRewrite = (body: string, headers: IncomingHttpHeaders) => string;

export async function startEmulatorProxy(targetUrl: string, rewrite?: AnswerRewrite): Promise<EmulatorProxy> {
  const target = new URL(targetUrl);
  const open = new Set<Socket>();
  let connections = 0;
  let waiters: Array<() => void> = [];
  const server = createServer((incoming, outgoing) => {
    const forwarded = httpRequest(
      { host: target.hostname, port: target.port, method: incoming.method, path: incoming.url, headers: incoming.headers },
      (answer) => {
        const chunks: Buffer[] = [];
        answer.on("data", (chunk: Buffer) => chunks.push(chunk));
        answer.on("end", () => {
          const headers = { ...answer.headers };
          delete headers["content-length"];
          delete headers["transfer-encoding"];
          delete headers.connection;
          const body = Buffer.concat(chunks).toString("utf8");
          const sent = rewrite === undefined ? body : rewrite(body, headers);
          outgoing.writeHead(answer.statusCode ?? 502, { ...headers, "content-length": Buffer.byteLength(sent) });
          outgoing.end(sent);
        });
      },
    );
    forwarded.on("error", () => outgoing.destroy());
    incoming.pipe(forwarded);
  });
  // Idle client connections stay open until the client closes them: what the tests watch.
  server.keepAliveTimeout = 0;
  server.on("connection", (socket: Socket) => {
    connections += 1;
    open.add(socket);
    socket.on("close", () => {
      open.delete(socket);
      if (open.size === 0) for (const resolve of waiters.splice(0)) resolve();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get connections() {
      return connections;
    },
    allClosed: () => (open.size === 0 ? Promise.resolve() : new Promise<void>((resolve) => waiters.push(resolve))),
    stop: async () => {
      waiters = [];
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Drops the JSON members `names` from an SSO OIDC answer (from `awsAdditionalDetails` with a `details.` prefix). */
export function withoutJsonMembers(...names: string[]): AnswerRewrite {
  return (body) => {
    const answer = JSON.parse(body) as Record<string, unknown> & { awsAdditionalDetails?: Record<string, unknown> };
    for (const name of names) {
      if (name.startsWith("details.")) delete answer.awsAdditionalDetails?.[name.slice("details.".length)];
      else delete answer[name];
    }
    return JSON.stringify(answer);
  };
}

/** Drops the XML elements `names` (with their content) from an STS answer. */
export function withoutXmlElements(...names: string[]): AnswerRewrite {
  return (body) => names.reduce((xml, name) => xml.replace(new RegExp(`<${name}>[\\s\\S]*?</${name}>`, "g"), ""), body);
}
