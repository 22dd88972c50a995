// Every RTCPeerConnection the page holds, keyed by the remote connection id (or `server` for the one
// connection with the media server in janus mode), on window.__redredPeers so browser tests (and a curious
// engineer in devtools) can read getStats() of the real connections.
declare global {
  interface Window {
    __redredPeers?: Map<string, RTCPeerConnection>;
  }
}

function registry(): Map<string, RTCPeerConnection> {
  window.__redredPeers ??= new Map();
  return window.__redredPeers;
}

export function exposePeer(key: string, pc: RTCPeerConnection): void {
  registry().set(key, pc);
}

export function forgetPeer(key: string, pc: RTCPeerConnection): void {
  if (registry().get(key) === pc) registry().delete(key);
}

/** Every connection the page holds now (e.g. to sum what it sends). */
export function listPeers(): RTCPeerConnection[] {
  return [...registry().values()];
}

/** The key of the page's connection with the media server (janus mode). */
export const serverPeerKey = 'server';

/** Connection ids are numbers on the wire; pages key peers by their string form. */
export function connectionKey(raw: unknown): string | null {
  if (typeof raw === 'number' && Number.isSafeInteger(raw)) return String(raw);
  if (typeof raw === 'string' && raw !== '') return raw;
  return null;
}

/** The wire form of a key made by connectionKey (a number when it is one). */
export function connectionTarget(key: string): number | string {
  const n = Number(key);
  return /^\d+$/.test(key) && Number.isSafeInteger(n) ? n : key;
}
