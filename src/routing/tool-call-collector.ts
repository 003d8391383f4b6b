/**
 * Assembles streamed tool-call deltas into complete calls for the finish event, the way the adapters'
 * stream parts define them: deltas keyed by `index`, `id` and `name` on the first delta of each call.
 */
import type { ToolCall } from "../providers/spec.js";

export interface ToolCallCollector {
  add(delta: { index: number; id?: string; name?: string; argumentsDelta: string }): void;
  calls(): ToolCall[];
  /** Calls begun so far. A method, not a getter: see call-scope.ts on getters in per-call objects. */
  size(): number;
}

export function createToolCallCollector(): ToolCallCollector {
  const byIndex = new Map<number, { id: string; name: string; args: string }>();
  return {
    add(delta) {
      const current = byIndex.get(delta.index) ?? { id: "", name: "", args: "" };
      if (delta.id !== undefined) current.id = delta.id;
      if (delta.name !== undefined) current.name = delta.name;
      current.args += delta.argumentsDelta;
      byIndex.set(delta.index, current);
    },
    calls() {
      return [...byIndex.entries()]
        .sort(([a], [b]) => a - b)
        .map(([, call]) => ({ id: call.id, name: call.name, argumentsJson: call.args === "" ? "{}" : call.args }));
    },
    size: () => byIndex.size,
  };
}
