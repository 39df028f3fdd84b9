import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { FastifyInstance } from "fastify";
import type { GatewayMetrics } from "../metrics/metrics.js";
import { displayHost } from "./display-host.js";
import { createRateBoundedSnapshot, type RateBoundedSnapshot } from "./rate-bounded-snapshot.js";

/**
 * Renderings of the registry per second. One costs ~1.5 ms of CPU (15 KB of text); /metrics on PORT
 * has no caller limit (a scraper may share its address with traffic), so a flood of scrapes held
 * the CPU (measured: 590 renderings a second from one caller on 16 connections). Scrapers ask every
 * few seconds and always get a fresh rendering; past the bound, the last one (at most a second old).
 */
export const METRICS_RENDERINGS_PER_SECOND = 10;

function renderings(metrics: GatewayMetrics): RateBoundedSnapshot<string> {
  return createRateBoundedSnapshot(() => metrics.registry.metrics(), { maxPerSecond: METRICS_RENDERINGS_PER_SECOND });
}

/** `GET /metrics`: the process's Prometheus registry in the text exposition format. */
export function registerMetricsRoute(app: FastifyInstance, metrics: GatewayMetrics): void {
  const rendered = renderings(metrics);
  app.get("/metrics", async (_request, reply) => {
    const body = await rendered.get();
    return reply.header("content-type", metrics.registry.contentType).send(body);
  });
}

export interface MetricsListener {
  /** `http://host:port/metrics` (the real port when 0 was asked). */
  url: string;
  close(): Promise<void>;
}

/**
 * METRICS_PORT: GET /metrics on a listener of its own, so it can stay off the public port (a
 * firewall or a Kubernetes port that only the scraper reaches). Everything else there is 404.
 */
export async function startMetricsListener(metrics: GatewayMetrics, port: number, host: string): Promise<MetricsListener> {
  const rendered = renderings(metrics);
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? "").split("?")[0];
    if (request.method !== "GET" || path !== "/metrics") {
      response.writeHead(404, { "content-type": "text/plain" }).end("not found: this listener serves GET /metrics only\n");
      return;
    }
    rendered.get().then(
      (body) => response.writeHead(200, { "content-type": metrics.registry.contentType, "cache-control": "no-store" }).end(body),
      () => response.writeHead(500, { "content-type": "text/plain" }).end("metrics could not be collected\n"),
    );
  });
  // A scraper polls every few seconds: keep-alive sockets need not outlive a scrape interval by much.
  server.keepAliveTimeout = 5000;
  server.headersTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port: boundPort } = server.address() as AddressInfo;
  return {
    url: `http://${displayHost(host)}:${boundPort}/metrics`,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
