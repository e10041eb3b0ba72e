// Local countdowns between two screens from Rust. Rust's `remaining_s` is the truth and every new
// screen restarts the countdown from it; locally we only tick, on a monotonic clock so a system
// clock change (NTP on the lab network) cannot make time jump.

/** mm:ss; minutes are not wrapped into hours (a test lasts at most 1 h 45: "105:00"). */
export function formatClock(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  return `${String(Math.floor(s / 60)).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}`;
}

export class Countdown {
  private readonly deadline: number;

  constructor(seconds: number, now: number) {
    this.deadline = now + seconds * 1000;
  }

  /** Whole seconds left, rounded up: shows 10:00 during the first second, 00:00 only once elapsed. */
  remaining(now: number): number {
    return Math.max(0, Math.ceil((this.deadline - now) / 1000));
  }
}

/** Screen readers hear the time only at these points (seconds left), never every second. */
export const ANNOUNCE_AT_S = [600, 300, 60] as const;

/** The minutes to announce when going from `before` to `after` seconds left, or null.
 * If several thresholds were crossed at once (a resume), the most urgent one wins. */
export function crossedThreshold(before: number | null, after: number): number | null {
  if (before === null) return null;
  const crossed = ANNOUNCE_AT_S.filter((t) => before > t && after <= t);
  return crossed.length ? Math.min(...crossed) / 60 : null;
}

/** The monotonic clock; a function so tests can drive it. */
export const clock = { now: () => performance.now() };
