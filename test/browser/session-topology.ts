import { randomBytes } from "node:crypto";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { startGateway, type GatewayProcess } from "../support/gateway-process.js";
import { startTestEmulator, type TestEmulator } from "../support/emulator-harness.js";
import { SHARED_REDIS_URL, deleteKeysWithPrefix, rawRedis, uniqueKeyPrefix } from "../integration/store/redis-test-support.js";
import { replicaEnvironment } from "../integration/scale/scale-support.js";
import { launchChromium } from "./chromium.js";
import { startPageServer, type PageServer } from "./session-page.js";
import { startUpstreamRecorder, type UpstreamRecorder } from "./session-upstream-recorder.js";

/**
 * The session-mode browser tests' world: one emulator (behind a recorder that notes the tokens it
 * issues), gateway processes in SESSION_MODE=cookie on the shared Redis (one key prefix, one
 * GATEWAY_SECRET), the app page on 127.0.0.1 (the only CORS_ORIGINS entry) and one Chromium.
 */
export interface SessionWorld {
  emulator: TestEmulator;
  upstream: UpstreamRecorder;
  app: PageServer;
  gateways: GatewayProcess[];
  browser: Browser;
  /** The variables every gateway of this world runs with (a restarted gateway gets the same). */
  gatewayEnv: Record<string, string | undefined>;
  /** The emulator's CreateTokenWithIAM count: the upstream calls. */
  upstreamCalls(): Promise<number>;
  /** A new gateway with this world's variables (same Redis, prefix and secret) plus `env`, added to `gateways`. */
  startGateway(env?: Record<string, string>): Promise<GatewayProcess>;
  stop(): Promise<void>;
}

export interface SessionWorldOptions {
  label: string;
  gateways: number;
  /** Extra gateway variables (e.g. SESSION_IDLE_TIMEOUT_SECONDS). */
  env?: Record<string, string>;
}

export async function startSessionWorld(options: SessionWorldOptions): Promise<SessionWorld> {
  const keyPrefix = uniqueKeyPrefix(`browser-${options.label}`);
  const secret = `browser-session-${randomBytes(24).toString("hex")}`;
  const [emulator, app, browser] = await Promise.all([startTestEmulator(), startPageServer(), launchChromium()]);
  const upstream = await startUpstreamRecorder(emulator.url);
  const gatewayEnv = {
    ...replicaEnvironment({ emulator, redisUrl: SHARED_REDIS_URL, keyPrefix }, secret),
    SSO_OIDC_ENDPOINT: upstream.url,
    // Loopback only, and the ready line names 127.0.0.1: the page's host, so the cookie is for both.
    HOST: "127.0.0.1",
    SESSION_MODE: "cookie",
    CORS_ORIGINS: app.origin,
    ...options.env,
  };
  const gateways: GatewayProcess[] = [];
  const launch = async (env: Record<string, string> = {}) => {
    const gateway = await startGateway({ env: { ...gatewayEnv, ...env } });
    gateways.push(gateway);
    return gateway;
  };
  await Promise.all(Array.from({ length: options.gateways }, () => launch()));
  // Start order is not launch order: keep them sorted by port so "gateway A" is stable within a run.
  gateways.sort((a, b) => Number(new URL(a.url).port) - Number(new URL(b.url).port));

  return {
    emulator, upstream, app, gateways, browser, gatewayEnv,
    upstreamCalls: async () => (await emulator.dev.stats()).calls.CreateTokenWithIAM,
    startGateway: launch,
    async stop() {
      await browser.close();
      await Promise.all(gateways.map((gateway) => gateway.stop()));
      await Promise.all([upstream.stop(), app.stop(), emulator.stop()]);
      const redis = rawRedis();
      await deleteKeysWithPrefix(redis, keyPrefix);
      redis.disconnect();
    },
  };
}

/** A new browser context (its own cookie jar: another browser of the user) with the app page open. */
export async function openApp(world: SessionWorld): Promise<{ context: BrowserContext; page: Page }> {
  const context = await world.browser.newContext();
  const page = await context.newPage();
  await page.goto(world.app.origin);
  return { context, page };
}

/** Another tab of the same browser (same cookie jar) with the app page open. */
export async function openTab(context: BrowserContext, world: SessionWorld): Promise<Page> {
  const page = await context.newPage();
  await page.goto(world.app.origin);
  return page;
}
