/**
 * A pass-through HTTP proxy: every request goes to <upstream> unchanged (method, path, headers, body;
 * the Host header too, so the SDK's SigV4 signature still verifies) and the answer comes back
 * unchanged. bench/c1-floor.ts puts it between the SDK and the emulator to measure what one more
 * process and two loopback hops cost at concurrency 1, with no GraphQL at all.
 * argv: <upstream base URL>. Prints `hop-proxy listening at <url>`.
 */
import { Agent, createServer, request } from "node:http";
import type { AddressInfo } from "node:net";

const upstream = new URL(process.argv[2] ?? "");
const agent = new Agent({ keepAlive: true, maxSockets: 64 });
const server = createServer((incoming, outgoing) => {
  const forwarded = request(
    { agent, host: upstream.hostname, port: upstream.port, method: incoming.method, path: incoming.url, headers: incoming.headers },
    (answer) => {
      outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(outgoing);
    },
  );
  forwarded.on("error", () => outgoing.writeHead(502).end());
  incoming.pipe(forwarded);
});
server.keepAliveTimeout = 60_000;
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(`hop-proxy listening at http://127.0.0.1:${(server.address() as AddressInfo).port}\n`);
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
