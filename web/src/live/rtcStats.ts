// Reading getStats() of the page's peer connections: what the studio sends (outbound-rtp bytes, as a rate)
// and what a viewer receives (the cumulative inbound-rtp video counters of `media_report`).

/** The counters a viewer reports to the server (docs/PROTOCOL.md `media_report`), cumulative per connection. */
export interface VideoReceiveCounters {
  packets_received: number;
  packets_lost: number;
  frames_decoded: number;
  frames_dropped: number;
}

/** Sums the inbound-rtp video counters of `pc`; null when it has no video stream yet (or is closed). */
export async function videoReceiveCounters(pc: RTCPeerConnection): Promise<VideoReceiveCounters | null> {
  let report: RTCStatsReport;
  try {
    report = await pc.getStats();
  } catch {
    return null;
  }
  let found = false;
  const totals: VideoReceiveCounters = { packets_received: 0, packets_lost: 0, frames_decoded: 0, frames_dropped: 0 };
  report.forEach((stat: Record<string, unknown>) => {
    if (stat.type !== 'inbound-rtp' || stat.kind !== 'video') return;
    found = true;
    totals.packets_received += count(stat.packetsReceived);
    // packetsLost is signed (duplicates can make it negative); the server wants a count.
    totals.packets_lost += count(stat.packetsLost);
    totals.frames_decoded += count(stat.framesDecoded);
    totals.frames_dropped += count(stat.framesDropped);
  });
  return found ? totals : null;
}

/**
 * The rate at which a set of peer connections sends, from the growth of every outbound-rtp `bytesSent`
 * (audio, video, each simulcast layer) between two samples. A connection first seen in a sample only sets
 * its baseline, so a long-lived connection that appears does not count as a burst.
 */
export class BitrateMeter {
  private lastBytes = new WeakMap<RTCPeerConnection, Map<string, number>>();
  private lastAt: number | null = null;

  /** kbit/s since the previous call; null on the first call (no baseline yet). */
  async sample(peers: RTCPeerConnection[]): Promise<number | null> {
    const reports = await Promise.all(peers.map((pc) => outboundBytes(pc).then((bytes) => ({ pc, bytes }))));
    const at = performance.now();
    let delta = 0;
    const next = new WeakMap<RTCPeerConnection, Map<string, number>>();
    for (const { pc, bytes } of reports) {
      if (bytes === null) continue;
      const before = this.lastBytes.get(pc);
      next.set(pc, bytes);
      if (before === undefined) continue;
      for (const [id, sent] of bytes) {
        const previous = before.get(id) ?? 0; // a layer that started since the last sample counts whole
        if (sent >= previous) delta += sent - previous;
      }
    }
    this.lastBytes = next;
    const lastAt = this.lastAt;
    this.lastAt = at;
    if (lastAt === null || at <= lastAt) return null;
    return (delta * 8) / (at - lastAt); // bytes per ms * 8 = kbit/s
  }
}

async function outboundBytes(pc: RTCPeerConnection): Promise<Map<string, number> | null> {
  let report: RTCStatsReport;
  try {
    report = await pc.getStats();
  } catch {
    return null;
  }
  const bytes = new Map<string, number>();
  report.forEach((stat: Record<string, unknown>) => {
    if (stat.type === 'outbound-rtp' && typeof stat.id === 'string') bytes.set(stat.id, count(stat.bytesSent));
  });
  return bytes;
}

function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : 0;
}
