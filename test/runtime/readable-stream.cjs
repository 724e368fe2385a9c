// Stands in for the npm readable-stream inside vitest-pool-workers (see vitest.runtime.config.ts).
module.exports = require("node:stream");
