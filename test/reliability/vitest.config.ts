/**
 * The reliability battery (`npm run test:reliability`): real gateway processes, the vendor simulator
 * and real clients on loopback, one file at a time so that no file's load distorts another's timings.
 * Generous timeouts: each test bounds its own counts and durations.
 */
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/reliability/**/*.test.ts"],
    globalSetup: ["test/reliability/support/global-setup.ts"],
    testTimeout: 180_000,
    hookTimeout: 60_000,
    pool: "forks",
    maxWorkers: 1,
    fileParallelism: false,
  },
});
