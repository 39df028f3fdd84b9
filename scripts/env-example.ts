/**
 * `npm run env:example`: writes .env.example at the repository root from CONFIG_VARIABLES.
 * test/unit/config-help/env-example.test.ts fails when the checked-in file is stale.
 */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { CONFIG_VARIABLES } from "../src/config/config-variables.js";
import { formatEnvExample } from "../src/config/help.js";

const ENV_EXAMPLE_FILE = fileURLToPath(new URL("../.env.example", import.meta.url));

writeFileSync(ENV_EXAMPLE_FILE, formatEnvExample(CONFIG_VARIABLES));
console.log(`wrote ${ENV_EXAMPLE_FILE} (${CONFIG_VARIABLES.length} variables)`);
