import type { ApolloServerPlugin, BaseContext } from "@apollo/server";
import { ApolloServerPluginSchemaReportingDisabled, ApolloServerPluginUsageReportingDisabled } from "@apollo/server/plugin/disabled";
import { ApolloServerPluginSchemaReporting } from "@apollo/server/plugin/schemaReporting";
import { ApolloServerPluginUsageReporting } from "@apollo/server/plugin/usageReporting";
import type { ApolloReportingConfig } from "../config/config.types.js";

/**
 * Apollo GraphOS (Studio) reporting, from APOLLO_KEY + APOLLO_GRAPH_REF via src/config only.
 * Apollo Server would otherwise read those variables from the environment itself; passing the
 * plugins explicitly (enabled or disabled) makes our config the one source. Reports never carry
 * variable values (tokens, assertions, codes) or HTTP headers (Authorization, cookies), and
 * error details are masked.
 */
export interface StudioOptions {
  /** The `apollo` constructor option: key and graph ref when reporting, else none. */
  apollo: { key: string; graphRef: string } | undefined;
  plugins: ApolloServerPlugin<BaseContext>[];
}

/** Where reports go; Apollo's GraphOS endpoints unless overridden (tests point them at a local server). */
export interface StudioEndpoints {
  usageReportingUrl?: string;
  schemaReportingUrl?: string;
}

/**
 * Apollo Server reads APOLLO_KEY from the environment itself whenever its `apollo` option names no key.
 * A blank one (`APOLLO_KEY=`, uncommented from .env.example, where an empty value means the default) is
 * unset for the gateway, but Apollo printed "The provided API key has unexpected leading or trailing
 * whitespace" for it at every start, in plain text beside the JSON log. Removed before Apollo reads it,
 * so the gateway's configuration stays the one source; a key that is set is left alone.
 */
export function forgetBlankApolloKey(env: NodeJS.ProcessEnv = process.env): void {
  if (env.APOLLO_KEY === "") delete env.APOLLO_KEY;
}

export function createStudioOptions(reporting: ApolloReportingConfig | undefined, endpoints: StudioEndpoints = {}): StudioOptions {
  if (reporting === undefined) {
    return { apollo: undefined, plugins: [ApolloServerPluginUsageReportingDisabled(), ApolloServerPluginSchemaReportingDisabled()] };
  }
  return {
    apollo: { key: reporting.key, graphRef: reporting.graphRef },
    plugins: [
      ApolloServerPluginUsageReporting({
        sendVariableValues: { none: true },
        sendHeaders: { none: true },
        sendErrors: { masked: true },
        ...(endpoints.usageReportingUrl ? { endpointUrl: endpoints.usageReportingUrl, sendReportsImmediately: true } : {}),
      }),
      ApolloServerPluginSchemaReporting(endpoints.schemaReportingUrl ? { endpointUrl: endpoints.schemaReportingUrl } : {}),
    ],
  };
}
