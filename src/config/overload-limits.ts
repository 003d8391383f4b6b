/** How many completions may run at once while the gateway is the bottleneck (`server.overload` in the config; src/gateway/overload-gate.ts). */
export interface OverloadLimits {
  /** The loop delay (a timer's lateness, the most in a 100 ms window) past which the limit shrinks. */
  targetLoopDelayMs: number;
  /** The limit never shrinks below this: a run of slow turns cannot stop the gateway. */
  minConcurrentCalls: number;
  maxConcurrentCalls: number;
  /** Calls that may wait for a slot; the next one is refused. */
  maxQueuedCalls: number;
}

export const defaultOverloadLimits: Readonly<OverloadLimits> = Object.freeze({
  targetLoopDelayMs: 10,
  minConcurrentCalls: 128,
  maxConcurrentCalls: 10_000,
  maxQueuedCalls: 10_000,
});
