import type { ApolloServerPlugin } from "@apollo/server";
import { renderExplorerPage, type ExplorerPageOptions } from "./explorer-page.js";

/**
 * Apollo's landing-page hook, answered with our offline explorer: Apollo serves it for GET
 * requests to the endpoint that prefer text/html (a browser), and JSON clients are unaffected.
 * `onView` runs per page view (the asset loader uses it to start bundling before the browser asks).
 */
export function createExplorerLandingPagePlugin(options: ExplorerPageOptions & { onView?: () => void }): ApolloServerPlugin {
  const html = renderExplorerPage(options);
  return {
    async serverWillStart() {
      return {
        async renderLandingPage() {
          return {
            async html() {
              options.onView?.();
              return html;
            },
          };
        },
      };
    },
  };
}
