export interface FeedRates {
  /** Messages (screen updates) per second over the last couple of seconds. */
  fps: number;
  /** Kilobits per second received over the last couple of seconds. */
  kbps: number;
  /**
   * Median capture-to-drawn delay over the last second, in ms; when nothing was drawn in it (a still screen), that
   * of the newest drawn message; null before the first.
   */
  latencyMs: number | null;
}

const rateWindowMs = 2000;
const latencyWindowMs = 1000;

/**
 * Measures one feed session from arrival and drawing times. Pure: every method takes `now`
 * (performance.now() milliseconds), so it needs no timers of its own.
 */
export class FeedMeter {
  private readonly startedAt: number;
  private readonly arrivals: { at: number; bytes: number }[] = [];
  private readonly latencies: { at: number; ms: number }[] = [];

  constructor(now: number) {
    this.startedAt = now;
  }

  onMessage(bytes: number, now: number): void {
    this.arrivals.push({ at: now, bytes });
  }

  /** `latencyMs`: Date.now() at drawing minus the message's captured_at (meaningful only with synced clocks). */
  onDrawn(latencyMs: number, now: number): void {
    this.latencies.push({ at: now, ms: latencyMs });
  }

  rates(now: number): FeedRates {
    dropOlder(this.arrivals, now - rateWindowMs);
    dropOlder(this.latencies, now - latencyWindowMs, 1);
    return { fps: this.fps(now), kbps: this.kbps(now), latencyMs: median(this.latencies.map((l) => l.ms)) };
  }

  private fps(now: number): number {
    const first = this.arrivals[0];
    if (first === undefined || this.arrivals.length < 2) return 0;
    return ((this.arrivals.length - 1) * 1000) / Math.max(now - first.at, 1);
  }

  private kbps(now: number): number {
    const bytes = this.arrivals.reduce((sum, a) => sum + a.bytes, 0);
    // Early in a session the window is shorter; at least 1 s, so the first key frame alone does not read as a burst.
    const windowMs = Math.min(Math.max(now - this.startedAt, 1000), rateWindowMs);
    return (bytes * 8) / windowMs; // bits per ms = kbit/s
  }
}

function dropOlder(samples: { at: number }[], cutoff: number, keep = 0): void {
  let stale = 0;
  while (stale < samples.length - keep && (samples[stale]?.at ?? cutoff) < cutoff) stale += 1;
  if (stale > 0) samples.splice(0, stale);
}

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const upper = sorted[middle] ?? 0;
  return sorted.length % 2 === 1 ? upper : ((sorted[middle - 1] ?? upper) + upper) / 2;
}
