/**
 * A stream attempt's watchdog: fires when it stays armed for longer than its limit (first-token, then
 * idle between parts), and never while disarmed (the client, not the provider, is the slow side then).
 *
 * Why not a timer per arming: the engine re-arms it around every part of a stream, hundreds per
 * answer, and a setTimeout plus clearTimeout plus a closure each time was a steady cost per delta. Here
 * arming only moves a deadline; one timer runs at a time, and when it fires early (the deadline moved
 * on since it was set) it is set again for what is left. Disarming leaves the timer running: it finds
 * nothing armed when it fires and stops.
 */
import { startTimer, type Clock } from "../resilience/clock.js";

export type WatchdogLimit = "first-token" | "idle";

export class StreamWatchdog {
  /** When the armed limit runs out (engine clock); undefined while disarmed. */
  private dueAt: number | undefined;
  private limit: WatchdogLimit = "first-token";
  /** The running timer's stop and when it fires. */
  private stopTimer: (() => void) | undefined;
  private timerAt = 0;

  constructor(
    private readonly clock: Clock,
    private readonly expired: (limit: WatchdogLimit) => void,
  ) {}

  /** (Re)arms: expires unless re-armed or disarmed within `ms`. */
  arm(ms: number, limit: WatchdogLimit): void {
    const dueAt = this.clock.now() + ms;
    this.dueAt = dueAt;
    this.limit = limit;
    if (this.stopTimer !== undefined && this.timerAt <= dueAt) return;
    this.stopTimer?.();
    this.schedule(dueAt);
  }

  disarm(): void {
    this.dueAt = undefined;
  }

  /** Disarms and stops the timer: the attempt is over. */
  stop(): void {
    this.dueAt = undefined;
    this.stopTimer?.();
    this.stopTimer = undefined;
  }

  private schedule(at: number): void {
    this.timerAt = at;
    this.stopTimer = startTimer(this.clock, Math.max(0, at - this.clock.now()), () => this.fire());
  }

  private fire(): void {
    this.stopTimer = undefined;
    const dueAt = this.dueAt;
    if (dueAt === undefined) return;
    if (this.clock.now() < dueAt) {
      this.schedule(dueAt);
      return;
    }
    this.dueAt = undefined;
    this.expired(this.limit);
  }
}
