/**
 * Spreads the starts of completion requests over turns of the event loop. A burst of new calls (a
 * thousand clients connecting at once, or a batch of HTTP/2 streams in one read) would otherwise be
 * parsed, checked and routed in one turn, holding the loop for as long as that takes, with every health
 * check and every running stream's next delta waiting behind it. At most `perTurn` start in one turn;
 * the rest start in the turns after, in arrival order, with the loop's I/O in between. Under that rate a
 * request starts at once: the unloaded path costs a counter and one setImmediate per turn.
 *
 * The queue holds requests the listener already accepted, so the listener's limits (connections,
 * streams per session) bound it. A request whose client left while it waited is dropped.
 */
import type { NodeRequest, NodeResponse } from "./node-handler.js";

export type NodeHandler = (request: NodeRequest, response: NodeResponse) => void;

export function createStartPacer(handle: NodeHandler, perTurn: number): NodeHandler {
  let startedThisTurn = 0;
  let scheduled = false;
  let waiting: [NodeRequest, NodeResponse][] = [];
  let head = 0;

  const schedule = (): void => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(nextTurn);
  };

  function nextTurn(): void {
    scheduled = false;
    startedThisTurn = 0;
    while (head < waiting.length && startedThisTurn < perTurn) {
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
  }

  return function pacedStart(request, response) {
    if (startedThisTurn < perTurn && head === waiting.length) {
      startedThisTurn++;
      schedule();
      handle(request, response);
      return;
    }
    waiting.push([request, response]);
    schedule();
  };
}
