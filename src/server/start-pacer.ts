/**
 * Spreads the starts of completion requests over turns of the event loop. A burst of new calls (a
 * thousand clients connecting at once, or a batch of HTTP/2 streams in one read) would otherwise be
 * parsed, checked and routed in one turn, holding the loop for as long as that takes, with every health
 * check and every running stream's next delta waiting behind it. At most `perTurn` start in one turn;
 * the rest start in the turns after, in arrival order, with the loop's I/O in between. Under that rate a
 * request starts at once: the unloaded path costs a counter and one setImmediate per turn.
 *
 * With a `door` (the overload gate's, src/gateway/overload-gate.ts), a request whose body arrives whole
 * without being read also waits here, unparsed, while enough calls wait inside the gate: it then costs
 * its socket and Node's request objects, not the tens of kilobytes a started call holds, and its parsing
 * moves to when it can run. Those held count as the gate's waiting calls, so its queue bound covers
 * both; past it, a request starts in its turn and the gate refuses it in its protocol's terms. A request
 * with a larger or unannounced body is never held (unread, it would stop arriving and run into the
 * request timeout); it waits in the gate as before.
 *
 * The queues hold requests the listener already accepted, so the listener's limits (connections,
 * streams per session) bound them. A request whose client left while it waited is dropped.
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
/**
 * The largest body a held request may announce: one that fits the request stream's buffer (Node's
 * high-water mark, 16 KiB, for both HTTP versions) arrives whole without being read.
 */
const holdableBodyBytes = 16 * 1024;

type Pending = [NodeRequest, NodeResponse];

/** An array queue that drops its started entries in bulk, so a queue that never empties stays small. */
class PendingQueue {
  private items: Pending[] = [];
  private head = 0;

  get size(): number {
    return this.items.length - this.head;
  }

  push(pending: Pending): void {
    this.items.push(pending);
  }

  shift(): Pending | undefined {
    if (this.head === this.items.length) return undefined;
    const pending = this.items[this.head++];
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head > 1_024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return pending;
  }
}

/** Whether the request announced a body small enough to arrive whole unread (`holdableBodyBytes`). */
function arrivesWhole(request: NodeRequest): boolean {
  const declared = request.headers["content-length"];
  if (typeof declared !== "string" || !/^\d{1,9}$/.test(declared)) return false;
  return Number(declared) <= holdableBodyBytes;
}

export function createStartPacer(handle: NodeHandler, perTurn: number, door?: OverloadDoor): StartPacer {
  let startedThisTurn = 0;
  let scheduled = false;
  let recheck: NodeJS.Timeout | undefined;
  // Requests waiting for their turn, and requests the door holds (only these count as the gate's).
  const paced = new PendingQueue();
  const held = new PendingQueue();
  door?.countHeld(() => held.size);

  const schedule = (): void => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(nextTurn);
  };

  const always = (): boolean => true;
  const doorOpen = (): boolean => door === undefined || !door.shouldHold();

  /** Starts requests from `queue` while this turn has starts left and `may()` allows. */
  function startFrom(queue: PendingQueue, may: () => boolean): void {
    while (queue.size > 0 && startedThisTurn < perTurn && may()) {
      const [request, response] = queue.shift() as Pending;
      if (request.destroyed || response.destroyed) continue;
      startedThisTurn++;
      handle(request, response);
    }
  }

  function nextTurn(): void {
    scheduled = false;
    startedThisTurn = 0;
    startFrom(paced, always);
    startFrom(held, doorOpen);
    if (startedThisTurn > 0) schedule();
    else if (paced.size + held.size > 0 && recheck === undefined) {
      recheck = setTimeout(() => {
        recheck = undefined;
        schedule();
      }, holdRecheckMs);
    }
  }

  const pacedStart: NodeHandler = (request, response) => {
    // Held while the door says so, and behind those already held, so the held keep their order.
    if (door !== undefined && (held.size > 0 || door.shouldHold()) && arrivesWhole(request)) {
      // No room left to wait: it starts in its turn, and the gate refuses it in its protocol's terms.
      (door.hasRoom() ? held : paced).push([request, response]);
      schedule();
      return;
    }
    if (startedThisTurn < perTurn && paced.size === 0) {
      startedThisTurn++;
      schedule();
      handle(request, response);
      return;
    }
    paced.push([request, response]);
    schedule();
  };
  return Object.assign(pacedStart, { waiting: () => paced.size + held.size });
}
