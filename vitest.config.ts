import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts", "clients/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Suites start real servers on port 0; two cores, so keep parallelism modest. `npm test` runs the
    // suites with timing bounds (an abort reaches the upstream < 100 ms, deadline overshoot < 50 ms:
    // adapters, simulator, conformance, end to end) in a second pass, one file at a time, so a parallel
    // suite (Chromium, Go, Python) cannot steal their CPU.
    pool: "forks",
    maxWorkers: 2,
  },
});
