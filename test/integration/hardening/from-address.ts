import { request } from "node:http";
import { connect, type Socket } from "node:net";

/**
 * HTTP and raw TCP from a chosen source address: Linux routes all of 127.0.0.0/8 to loopback, so a
 * client bound to 127.0.0.2, 127.0.0.3 … stands for "another caller" without leaving the machine.
 */
export interface AddressedResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export function httpFrom(
  localAddress: string,
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<AddressedResponse> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? "GET", headers: options.headers, localAddress, agent: false }, (response) => {
      let body = "";
      response.setEncoding("utf8").on("data", (chunk: string) => { body += chunk; });
      response.on("end", () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
      response.on("error", reject);
    });
    req.on("error", reject);
    req.end(options.body);
  });
}

export function postJsonFrom(localAddress: string, url: string, body: unknown, headers: Record<string, string> = {}): Promise<AddressedResponse> {
  return httpFrom(localAddress, url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
}

/** A connected TCP socket from `localAddress` that sends nothing (an idle or slow-header client). */
export function idleSocketFrom(localAddress: string, port: number, host = "127.0.0.1"): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host, localAddress });
    socket.once("connect", () => resolve(socket));
    socket.once("error", reject);
  });
}

/** Resolves once the peer has closed `socket` (or it errored, e.g. ECONNRESET); never a timing assertion. */
export function closedByPeer(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed || socket.readableEnded) return resolve();
    socket.once("close", () => resolve());
    socket.once("end", () => resolve());
    socket.once("error", () => resolve());
    socket.resume();
  });
}
