/** What the session client is to the app: its state and its methods (session-client.ts implements them). */
import type { GatewayRequestError } from "./gateway-request.js";
import type { CreateTokenWithIamInput, SessionStateFragment } from "./generated/graphql.js";
import type { SessionEndReason } from "./session-client-channel.js";

export type SessionClientState =
  | { status: "signed-out"; reason: "initial" | SessionEndReason }
  | { status: "signed-in"; session: SessionStateFragment }
  /** The last refresh failed and will not be retried by itself; the session may still be live (call refresh()). */
  | { status: "error"; session: SessionStateFragment; error: GatewayRequestError };

export interface SessionClient {
  readonly tabId: string;
  readonly state: SessionClientState;
  /** Calls `listener` on every state change; returns the unsubscribe function. */
  subscribe(listener: (state: SessionClientState) => void): () => void;
  /** Starts a session with any grant of createTokenWithIAM (the answer sets the cookie), then reads it; every tab hears of it. */
  signIn(input: CreateTokenWithIamInput): Promise<SessionStateFragment>;
  /** Reads the session the cookie identifies (e.g. at page load); undefined, and signed out, when there is none. */
  session(): Promise<SessionStateFragment | undefined>;
  /** Refreshes now, coordinated with the other tabs; rejects with a GatewayRequestError. */
  refresh(): Promise<SessionStateFragment>;
  /** Ends this session (here and in every tab); true when there was a live one. */
  signOut(): Promise<boolean>;
  /** Ends every session of this user, in every browser; false when the session has no subject (then only this one ended). */
  signOutEverywhere(): Promise<boolean>;
  /** Stops the refresh timer and leaves the channel. */
  close(): void;
}
