import { Agent, request } from "node:http";
import type { GraphQLBody } from "../../support/gateway-client.js";

/**
 * A GraphQL client bound to one local address: Linux routes all of 127.0.0.0/8 to loopback, so a
 * client on 127.0.0.2 and one on 127.0.0.3 are two callers to the gateway (two `request.ip`s).
 */
export interface CallerClient {
  readonly address: string;
  post(url: string, query: string, variables?: Record<string, unknown>): Promise<{ status: number; body: GraphQLBody }>;
  close(): void;
}

export function callerAt(address: string): CallerClient {
  const agent = new Agent({ keepAlive: true, maxSockets: 8 });
  return {
    address,
    post(url, query, variables = {}) {
      const payload = JSON.stringify({ query, variables });
      return new Promise((resolve, reject) => {
        const outgoing = request(url, {
          method: "POST", agent, localAddress: address,
          headers: { "content-type": "application/json", accept: "application/json", "content-length": Buffer.byteLength(payload) },
        }, (response) => {
          let text = "";
          response.setEncoding("utf8").on("data", (chunk: string) => (text += chunk)).on("end", () => {
            try {
              resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) as GraphQLBody });
            } catch {
              reject(new Error(`HTTP ${response.statusCode} with a body that is not JSON: ${text.slice(0, 300)}`));
            }
          });
        });
        outgoing.on("error", reject).end(payload);
      });
    },
    close: () => agent.destroy(),
  };
}
