import type { ApolloServerPlugin } from "@apollo/server";
import { ApolloArmor } from "@escape.tech/graphql-armor";
import type { ValidationContext, ValidationRule } from "graphql";
import { GraphQLError } from "graphql/index.js";
import type { OperationLimits } from "../../config/config.types.js";
import type { GatewayMetrics } from "../../metrics/metrics.js";
import { createExpandedSelectionsRule } from "./expanded-selections.rule.js";

/**
 * Bounds on one GraphQL document, all enforced before execution (so before any upstream call):
 * aliases, depth, directives and cost as validation rules (graphql-armor), repeated selections,
 * introspection depth and fragment expansion (expanded-selections.rule.ts), tokens at parse time
 * (Apollo's `parseOptions.maxTokens`: graphql-armor's own max-tokens rule answers HTTP 500).
 *
 * A refusal is a GRAPHQL_VALIDATION_FAILED (parse: GRAPHQL_PARSE_FAILED) error whose message says
 * which limit and which variable raises it, and it is counted in `rejections{reason}`. Rejected
 * documents never enter Apollo's document cache, so every refusal is counted.
 */

export type LimitReason = "max_aliases" | "max_depth" | "max_directives" | "max_cost" | "max_tokens" | "expanded_selections";

export interface OperationLimitsSetup {
  validationRules: ValidationRule[];
  parseOptions: { maxTokens: number };
  /** Counts documents refused for too many tokens (a parse failure, not a validation rule). */
  plugin: ApolloServerPlugin;
}

const LIMIT_VARIABLES: Record<Exclude<LimitReason, "max_tokens" | "expanded_selections">, string> = {
  max_aliases: "MAX_ALIASES",
  max_depth: "MAX_DEPTH",
  max_directives: "MAX_DIRECTIVES",
  max_cost: "MAX_COST",
};

/** graphql-js's parser message when `maxTokens` is reached (graphql 16 spells it "more that"). */
const TOO_MANY_TOKENS = /Document contains more th(?:an|at) \d+ tokens/;

export function createOperationLimits(options: { limits: OperationLimits; metrics: GatewayMetrics | undefined }): OperationLimitsSetup {
  const { limits, metrics } = getValidOptions(options);
  const reject = (reason: keyof typeof LIMIT_VARIABLES) => ({
    propagateOnRejection: false as const,
    onReject: [
      (context: ValidationContext | null, error: GraphQLError) => {
        metrics?.rejections.inc({ reason });
        // graphql-armor prefixes "Syntax Error:" to a validation failure; say what it is and how to raise it.
        const message = `${error.message.replace(/^Syntax Error: /, "")} (${LIMIT_VARIABLES[reason]})`;
        context?.reportError(new GraphQLError(message));
      },
    ],
  });
  const armor = new ApolloArmor({
    // Apollo's parser enforces the token limit; graphql-js makes no suggestion with introspection off (gateway-server.ts).
    maxTokens: { enabled: false },
    blockFieldSuggestion: { enabled: false },
    maxAliases: { n: limits.maxAliases, ...reject("max_aliases") },
    maxDepth: { n: limits.maxDepth, ...reject("max_depth") },
    maxDirectives: { n: limits.maxDirectives, ...reject("max_directives") },
    costLimit: { maxCost: limits.maxCost, ...reject("max_cost") },
  });
  const { validationRules } = armor.protect();
  // Repeated selections, introspection depth and fragment expansion (limits/expanded-selections.rule.ts):
  // checked at the document, before graphql-js compares selections pairwise or graphql-jit compiles them;
  // validation stops there when over a bound.
  const expandedSelections = createExpandedSelectionsRule(
    { maxDepth: limits.maxDepth, maxCost: limits.maxCost },
    { onReject: () => metrics?.rejections.inc({ reason: "expanded_selections" }) },
  );

  const plugin: ApolloServerPlugin = {
    async requestDidStart() {
      return {
        async parsingDidStart() {
          return async (error?: Error) => {
            if (!error || !TOO_MANY_TOKENS.test(error.message)) return;
            metrics?.rejections.inc({ reason: "max_tokens" });
            // Name the variable that raises the limit, as the validation limits do.
            error.message = `${error.message} (MAX_TOKENS)`;
          };
        },
      };
    },
  };
  return { validationRules: [expandedSelections, ...(validationRules as ValidationRule[])], parseOptions: { maxTokens: limits.maxTokens }, plugin };
}

function getValidOptions(options: { limits: OperationLimits; metrics: GatewayMetrics | undefined }) {
  const limits = options?.limits;
  for (const key of ["maxAliases", "maxDepth", "maxDirectives", "maxCost", "maxTokens"] as const) {
    const value = limits?.[key];
    if (!Number.isInteger(value) || (value as number) < 1) {
      throw new TypeError(`createOperationLimits: limits.${key} must be a positive integer (got ${String(value)})`);
    }
  }
  return options;
}
