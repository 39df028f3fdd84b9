export { createGatewayServer, GRAPHQL_PATH } from "./gateway-server.js";
export type { GatewayServer, GatewayServerDeps, TokenService } from "./server.types.js";
export type { ReadinessCheck, ReadinessReport } from "./readiness.route.js";
export { createReadinessCheck, type ReadinessSources } from "./readiness-checks.js";
