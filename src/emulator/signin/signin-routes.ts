/**
 * The sign-in pages' routes: GET and POST on /authorize and /device. Everything here answers
 * HTML, errors included (a person is reading), never the JSON of the API routes.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { EmulatorContext } from "../emulator-context.js";
import { WireError } from "../http/wire-errors.js";
import { answerAuthorizeForm, showAuthorizePage } from "./authorize-handler.js";
import { answerDeviceForm, showDevicePage } from "./device-handler.js";
import { errorPage } from "./message-page.js";
import { sendPage } from "./page-response.js";

interface PageRoute {
  show(ctx: EmulatorContext, res: ServerResponse, query: URLSearchParams): void;
  answer(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse): Promise<void>;
}

const ROUTES: Record<string, PageRoute> = {
  "/authorize": { show: showAuthorizePage, answer: answerAuthorizeForm },
  "/device": { show: showDevicePage, answer: answerDeviceForm },
};

export function isSigninPath(path: string): boolean {
  return Object.hasOwn(ROUTES, path);
}

export async function handleSigninPage(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse, path: string, rawQuery: string): Promise<void> {
  const route = ROUTES[path]!;
  try {
    if (req.method === "GET" || req.method === "HEAD") {
      req.resume();
      return route.show(ctx, res, new URLSearchParams(rawQuery));
    }
    if (req.method === "POST") return await route.answer(ctx, req, res);
    req.resume();
    sendPage(res, 405, errorPage(`${path} answers GET and POST only.`), { allow: "GET, POST" });
  } catch (error) {
    // An oversized form (413) from readBody; anything else is an emulator bug for the server to report.
    if (!(error instanceof WireError)) throw error;
    sendPage(res, error.status, errorPage(String(error.body.error_description ?? error.errorType)));
  }
}
