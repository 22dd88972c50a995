import { useEffect, useState } from 'react';
import { listPeers } from './peerRegistry';
import { BitrateMeter } from './rtcStats';

const sampleEveryMs = 1000;

/**
 * What this page sends over all its peer connections, in kbit/s, sampled every second while `enabled`
 * (null until two samples exist). Works the same for one connection to the media server or one per viewer.
 */
export function useOutgoingBitrate(enabled: boolean): number | null {
  const [kbps, setKbps] = useState<number | null>(null);
  useEffect(() => {
    if (!enabled) return;
    const meter = new BitrateMeter();
    let alive = true;
    let busy = false;
    const tick = () => {
      if (busy) return; // getStats slower than a second: skip rather than pile up
      busy = true;
      meter
        .sample(listPeers())
        .then((value) => {
          if (alive && value !== null) setKbps(Math.round(value));
        })
        .catch(() => {})
        .finally(() => {
          busy = false;
        });
    };
    tick();
    const timer = setInterval(tick, sampleEveryMs);
    return () => {
      alive = false;
      clearInterval(timer);
      setKbps(null);
    };
  }, [enabled]);
  return kbps;
}
