import { useEffect, useState } from 'react';
import { getRtcConfig } from '../api/live';

/** ICE servers from GET /api/rtc/config, fetched once per page; [] (host candidates) if that fails. */
export function useIceServersPromise(): Promise<RTCIceServer[]> {
  const [promise] = useState(() => getRtcConfig().catch(() => [] as RTCIceServer[]));
  return promise;
}

export function useIceServers(): RTCIceServer[] | null {
  const promise = useIceServersPromise();
  const [servers, setServers] = useState<RTCIceServer[] | null>(null);
  useEffect(() => {
    let alive = true;
    void promise.then((list) => {
      if (alive) setServers(list);
    });
    return () => {
      alive = false;
    };
  }, [promise]);
  return servers;
}
