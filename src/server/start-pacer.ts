/**
 * Spreads the starts of completion requests over turns of the event loop. A burst of new calls (a
 * thousand clients connecting at once, or a batch of HTTP/2 streams in one read) would otherwise be
 * parsed, checked and routed in one turn, holding the loop for as long as that takes, with every health
 * check and every running stream's next delta waiting behind it. At most `perTurn` start in one turn;
 * the rest start in the turns after, in arrival order, with the loop's I/O in between. Under that rate a
 * request starts at once: the unloaded path costs a counter and one setImmediate per turn.
 *
 * With a `door` (the overload gate's, src/gateway/overload-gate.ts), requests also wait here, unparsed,
 * while enough calls already wait inside the gate: a waiting request then costs its socket and Node's
 * request objects, not the tens of kilobytes a started call holds, and its parsing moves to when it can
 * run. They are counted as the gate's own waiting calls, so its queue bound covers both; past it, a
 * request starts at once and the gate refuses it in its protocol's terms.
 *
 * The queue holds requests the listener already accepted, so the listener's limits (connections,
 * streams per session) bound it. A request whose client left while it waited is dropped.
 */
import type { OverloadDoor } from "../gateway/overload-gate.js";
import type { NodeRequest, NodeResponse } from "./node-handler.js";

export type NodeHandler = (request: NodeRequest, response: NodeResponse) => void;

export interface StartPacer extends NodeHandler {
  /** Requests waiting here now. */
  waiting(): number;
}

/** While requests are held, how often the door is asked again: about a turn, without spinning the loop. */
const holdRecheckMs = 2;

export function createStartPacer(handle: NodeHandler, perTurn: number, door?: OverloadDoor): StartPacer {
  let startedThisTurn = 0;
  let scheduled = false;
  let recheck: NodeJS.Timeout | undefined;
  let waiting: [NodeRequest, NodeResponse][] = [];
  let head = 0;
  door?.countHeld(() => waiting.length - head);

  const schedule = (): void => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(nextTurn);
  };

  const holding = (): boolean => door !== undefined && door.shouldHold() && door.canHold(waiting.length - head);

  function nextTurn(): void {
    scheduled = false;
    startedThisTurn = 0;
    while (head < waiting.length && startedThisTurn < perTurn) {
      if (holding()) break;
      const [request, response] = waiting[head++];
      if (request.destroyed || response.destroyed) continue;
      startedThisTurn++;
      handle(request, response);
    }
    // Drop the started entries once they are most of the array, so a queue that never empties stays small.
    if (head > 1_024 && head * 2 > waiting.length) {
      waiting = waiting.slice(head);
      head = 0;
    } else if (head === waiting.length) {
      waiting = [];
      head = 0;
    }
    if (startedThisTurn > 0) schedule();
    else if (head < waiting.length && recheck === undefined) {
      recheck = setTimeout(() => {
        recheck = undefined;
        schedule();
      }, holdRecheckMs);
    }
  }

  const pacedStart: NodeHandler = (request, response) => {
    if (door !== undefined && door.shouldHold() && !door.canHold(waiting.length - head)) {
      // No room left to wait: it starts now and the gate refuses it, in its protocol's terms.
      handle(request, response);
      return;
    }
    if (startedThisTurn < perTurn && head === waiting.length && !holding()) {
      startedThisTurn++;
      schedule();
      handle(request, response);
      return;
    }
    waiting.push([request, response]);
    schedule();
  };
  return Object.assign(pacedStart, { waiting: () => waiting.length - head });
}
