import type { ToolCall } from "../spec.js";

/** Collects `tool-call-delta` fragments by index and yields the complete calls in index order. */
export interface ToolCallAssembler {
  /** Adds one fragment; the first fragment for an index normally carries `id` and `name`. */
  add(fragment: { index: number; id?: string; name?: string; argumentsDelta: string }): void;
  /** The calls so far, by index; arguments "{}" when none were streamed (ToolCall's contract). */
  toolCalls(): ToolCall[];
}

/**
 * Creates an assembler for streamed tool calls. Vendors stream a call as an index with id and name
 * first and argument text in pieces after; parallel calls interleave by index. Keeping the text as
 * received (not re-serialised) means what the model produced is what the client gets.
 */
export function createToolCallAssembler(): ToolCallAssembler {
  const byIndex = new Map<number, { id: string; name: string; argumentsJson: string }>();
  return {
    add(fragment) {
      const current = byIndex.get(fragment.index) ?? { id: "", name: "", argumentsJson: "" };
      if (fragment.id !== undefined && fragment.id !== "") current.id = fragment.id;
      if (fragment.name !== undefined && fragment.name !== "") current.name = fragment.name;
      current.argumentsJson += fragment.argumentsDelta;
      byIndex.set(fragment.index, current);
    },
    toolCalls() {
      return [...byIndex.entries()]
        .sort(([left], [right]) => left - right)
        .map(([, call]) => ({
          id: call.id,
          name: call.name,
          argumentsJson: call.argumentsJson.trim() === "" ? "{}" : call.argumentsJson,
        }));
    },
  };
}
