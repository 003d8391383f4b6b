import { asArray, asBoolean, asNumber, asRecord, asString } from "../http/json.js";

/**
 * A function call whose arguments Vertex AI streams piece by piece (only when argument streaming is
 * enabled). The call opens with `functionCall{name, willContinue:true}`, then chunks carry
 * `functionCall.partialArgs[{jsonPath:"$.location", stringValue|numberValue|boolValue|nullValue,
 * willContinue}]` (a string value may arrive in several pieces, which are appended), and an empty
 * `functionCall:{}` closes it. The assembled arguments are emitted as one complete call.
 */
export interface PartialFunctionCall {
  readonly name: string;
  /** Applies one chunk's `partialArgs` list. */
  apply(partialArgs: unknown): void;
  /** The arguments assembled so far, as JSON object text. */
  argumentsJson(): string;
}

export function createPartialFunctionCall(name: string): PartialFunctionCall {
  const root: Record<string, unknown> = {};
  return {
    name,
    apply(partialArgs) {
      for (const item of asArray(partialArgs) ?? []) {
        const piece = asRecord(item);
        const path = parseJsonPath(asString(piece?.jsonPath) ?? "");
        if (piece === undefined || path === undefined || path.length === 0) continue;
        const stringValue = asString(piece.stringValue);
        if (stringValue !== undefined) {
          const previous = getAt(root, path);
          setAt(root, path, (typeof previous === "string" ? previous : "") + stringValue);
        } else if (asNumber(piece.numberValue) !== undefined) {
          setAt(root, path, asNumber(piece.numberValue));
        } else if (asBoolean(piece.boolValue) !== undefined) {
          setAt(root, path, asBoolean(piece.boolValue));
        } else if ("nullValue" in piece) {
          setAt(root, path, null);
        }
      }
    },
    argumentsJson() {
      return JSON.stringify(root);
    },
  };
}

/** `$.a.b[0]['c d']` → ["a", "b", 0, "c d"]; undefined when it is not a simple path. */
function parseJsonPath(path: string): (string | number)[] | undefined {
  if (!path.startsWith("$")) return undefined;
  const segments: (string | number)[] = [];
  const pattern = /\.([^.[\]]+)|\[(\d+)\]|\['([^']*)'\]|\["([^"]*)"\]/gy;
  pattern.lastIndex = 1;
  let consumed = 1;
  for (let match = pattern.exec(path); match !== null; match = pattern.exec(path)) {
    segments.push(match[2] !== undefined ? Number(match[2]) : (match[1] ?? match[3] ?? match[4]));
    consumed = pattern.lastIndex;
  }
  return consumed === path.length ? segments : undefined;
}

type Container = Record<string, unknown> | unknown[];

function getAt(root: Container, path: (string | number)[]): unknown {
  let current: unknown = root;
  for (const segment of path) {
    if (typeof current !== "object" || current === null) return undefined;
    current = (current as Record<string | number, unknown>)[segment];
  }
  return current;
}

function setAt(root: Container, path: (string | number)[], value: unknown): void {
  let current: Container = root;
  for (let position = 0; position < path.length - 1; position++) {
    const segment = path[position];
    const existing = (current as Record<string | number, unknown>)[segment];
    const next: Container =
      typeof existing === "object" && existing !== null
        ? (existing as Container)
        : typeof path[position + 1] === "number"
          ? []
          : {};
    (current as Record<string | number, unknown>)[segment] = next;
    current = next;
  }
  (current as Record<string | number, unknown>)[path[path.length - 1]] = value;
}
