/**
 * How much the battery's latency bounds (health p99, cancel-to-abort p99) are stretched: 1 on a quiet
 * machine, as the bounds are written. `.ci/run` sets MODELGATE_BATTERY_TIMING_SLACK for a runner it
 * shares with its own build and test steps; correctness invariants are never stretched.
 */
export const timingSlack = Math.max(1, Number(process.env.MODELGATE_BATTERY_TIMING_SLACK ?? "1") || 1);
