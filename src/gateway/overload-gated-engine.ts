/**
 * The engine layer that holds a completion until the overload gate gives it a slot (overload-gate.ts),
 * and keeps the slot until the answer is out or the stream ends, fails or is abandoned. Listing models
 * and stats never wait. The loop-delay probe runs while calls run or wait.
 */
import { createLoopDelayProbe } from "./loop-delay-probe.js";
import type { OverloadLimits } from "../config/overload-limits.js";
import { createOverloadGate, type OverloadDoor, type OverloadView, type Release } from "./overload-gate.js";
import type { CompletionEngine } from "./types.js";

export interface OverloadGatedEngine extends CompletionEngine {
  overload(): OverloadView;
  /** Where the server's edge keeps new completions waiting, unparsed, while enough wait here. */
  door: OverloadDoor;
}

export function createOverloadGatedEngine(engine: CompletionEngine, limits: () => OverloadLimits): OverloadGatedEngine {
  const gate = createOverloadGate(limits);
  const probe = createLoopDelayProbe({
    report: (delayMs) => gate.adjust(delayMs),
    busy: () => {
      const view = gate.view();
      return view.running > 0 || view.queued > 0;
    },
  });

  const enter = (signal: AbortSignal): Release | Promise<Release> => {
    probe.wake();
    return gate.enter(signal);
  };

  return {
    async complete(request, context) {
      const entered = enter(context.signal);
      const release = typeof entered === "function" ? entered : await entered;
      try {
        return await engine.complete(request, context);
      } finally {
        release();
      }
    },
    async *stream(request, context) {
      const entered = enter(context.signal);
      const release = typeof entered === "function" ? entered : await entered;
      try {
        yield* engine.stream(request, context);
      } finally {
        release();
      }
    },
    listModels: () => engine.listModels(),
    deploymentStats: (names) => engine.deploymentStats(names),
    overload: () => gate.view(),
    door: gate.door,
    async close() {
      probe.stop();
      await engine.close();
    },
  };
}
