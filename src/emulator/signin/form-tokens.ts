/**
 * One-time form tokens: each rendered sign-in form gets an unguessable token naming what the page
 * showed (for /authorize, the verified request), so a POST is only honoured when it comes from a
 * page this emulator served, once. A cross-site form cannot know the token (CSRF), and the POST
 * cannot swap the redirect URI the page verified.
 */
import { randomBytes } from "node:crypto";
import type { EmulatorContext } from "../emulator-context.js";

/** Long enough for a person to read the page and decide. */
export const FORM_TOKEN_LIFETIME_MS = 10 * 60_000;
/** A bound so a script loading pages in a loop cannot grow memory without limit; oldest go first. */
const MAX_PENDING_FORMS = 10_000;

interface Pending<T> {
  value: T;
  expiresAt: number;
}

export class FormTokens<T> {
  private readonly pending = new Map<string, Pending<T>>();

  constructor(private readonly now: () => number) {}

  issue(value: T): string {
    const token = randomBytes(24).toString("base64url");
    this.sweep();
    this.pending.set(token, { value, expiresAt: this.now() + FORM_TOKEN_LIFETIME_MS });
    if (this.pending.size > MAX_PENDING_FORMS) this.pending.delete(this.pending.keys().next().value!);
    return token;
  }

  /** The value the token was issued for, or undefined when unknown, used or expired; a token works once. */
  redeem(token: string | null): T | undefined {
    if (token === null) return undefined;
    const found = this.pending.get(token);
    this.pending.delete(token);
    return found !== undefined && found.expiresAt > this.now() ? found.value : undefined;
  }

  private sweep(): void {
    const now = this.now();
    for (const [token, entry] of this.pending) if (entry.expiresAt <= now) this.pending.delete(token);
  }
}

/**
 * Per-emulator token stores, keyed by its context (the context interface stays as it is, and two
 * emulators in one process never accept each other's forms).
 */
const stores = new WeakMap<EmulatorContext, Map<string, FormTokens<unknown>>>();

export function formTokensOf<T>(ctx: EmulatorContext, page: string): FormTokens<T> {
  let byPage = stores.get(ctx);
  if (byPage === undefined) stores.set(ctx, (byPage = new Map()));
  let tokens = byPage.get(page);
  if (tokens === undefined) byPage.set(page, (tokens = new FormTokens<unknown>(ctx.now)));
  return tokens as FormTokens<T>;
}
