import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts", "clients/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Suites start real servers on port 0; two cores, so keep parallelism modest. `npm test` runs the
    // end-to-end suites (timing bounds: cancel reaches the vendor < 100 ms, deadline overshoot < 50 ms)
    // in a second pass with nothing else running, so a parallel suite cannot steal their CPU.
    pool: "forks",
    maxWorkers: 2,
  },
});
