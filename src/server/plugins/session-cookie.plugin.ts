import type { ApolloServerPlugin } from "@apollo/server";
import type { GatewayContext } from "../../schema/context.js";
import { pendingSessionCookie } from "../request-context.js";
import { sessionSetCookie } from "../session-cookie.js";

/**
 * Session mode: sends the cookie the request's session operations asked for (set on sign-in and
 * refresh, cleared on sign-out or when the session is gone), errors included.
 */
export function createSessionCookiePlugin(): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response, contextValue }) {
          const cookie = pendingSessionCookie(contextValue);
          if (cookie !== undefined) response.http.headers.set("set-cookie", sessionSetCookie(cookie));
        },
      };
    },
  };
}
