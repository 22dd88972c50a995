// The viewer's side of WebRTC (docs/PROTOCOL.md): answers the streamer's `offer`, trickles `ice_candidate`.
// Exactly one RTCPeerConnection per streamer connection: a repeated offer from the same connection is applied
// only when it renegotiates the same session (same o= session id, higher version, e.g. an ICE restart); an
// offer from a new streamer connection (the streamer reloaded) replaces the old peer. Operations on one peer
// run one after another, so candidates that arrive while the offer is being applied wait for it.
import { connectionTarget, exposePeer, forgetPeer } from './peerRegistry';

export type MediaPhase = 'none' | 'connecting' | 'connected' | 'failed';

interface Peer {
  from: string;
  pc: RTCPeerConnection;
  stream: MediaStream;
  session: { id: string; version: bigint } | null;
  chain: Promise<void>;
}

export interface ViewerPeerCallbacks {
  send: (message: Record<string, unknown>) => void;
  onMedia: (stream: MediaStream | null, phase: MediaPhase) => void;
}

export class ViewerPeer {
  private readonly iceServers: Promise<RTCIceServer[]>;
  private readonly callbacks: ViewerPeerCallbacks;
  private peer: Peer | null = null;

  constructor(iceServers: Promise<RTCIceServer[]>, callbacks: ViewerPeerCallbacks) {
    this.iceServers = iceServers;
    this.callbacks = callbacks;
  }

  handleOffer(from: string, sdp: string): void {
    const session = sdpSession(sdp);
    const current = this.peer;
    if (current !== null && current.from === from) {
      const renegotiation =
        session !== null && current.session !== null && session.id === current.session.id && session.version > current.session.version;
      if (!renegotiation && (session === null || current.session?.id === session.id)) return; // a duplicate
      if (renegotiation) {
        current.session = session;
        this.enqueue(current, () => this.answer(current, sdp));
        return;
      }
    }
    this.close();
    const peer = this.createPeer(from, session);
    this.enqueue(peer, () => this.answer(peer, sdp));
  }

  handleCandidate(from: string, candidate: unknown): void {
    const peer = this.peer;
    if (peer === null || peer.from !== from || typeof candidate !== 'object' || candidate === null) return;
    this.enqueue(peer, () => peer.pc.addIceCandidate(candidate as RTCIceCandidateInit));
  }

  close(): void {
    const peer = this.peer;
    if (peer === null) return;
    this.peer = null;
    peer.pc.close();
    forgetPeer(`streamer:${peer.from}`, peer.pc);
    this.callbacks.onMedia(null, 'none');
  }

  private createPeer(from: string, session: Peer['session']): Peer {
    const stream = new MediaStream();
    const peer: Peer = { from, pc: new RTCPeerConnection(), stream, session, chain: Promise.resolve() };
    // The ICE servers are fetched once per page; the first offer may arrive before they are known.
    peer.chain = this.iceServers.then((iceServers) => {
      if (this.peer === peer) peer.pc.setConfiguration({ iceServers });
    });
    this.peer = peer;
    exposePeer(`streamer:${from}`, peer.pc);
    const { pc } = peer;
    pc.ontrack = (event) => {
      if (this.peer !== peer) return;
      if (!stream.getTracks().includes(event.track)) stream.addTrack(event.track);
      this.callbacks.onMedia(stream, phaseOf(pc));
    };
    pc.onicecandidate = (event) => {
      if (this.peer === peer && event.candidate !== null) {
        this.callbacks.send({ type: 'ice_candidate', target: connectionTarget(from), candidate: event.candidate.toJSON() });
      }
    };
    pc.onconnectionstatechange = () => {
      if (this.peer === peer) this.callbacks.onMedia(stream.getTracks().length > 0 ? stream : null, phaseOf(pc));
    };
    this.callbacks.onMedia(null, 'connecting');
    return peer;
  }

  private async answer(peer: Peer, sdp: string): Promise<void> {
    await peer.pc.setRemoteDescription({ type: 'offer', sdp });
    await peer.pc.setLocalDescription();
    if (this.peer !== peer || peer.pc.localDescription === null) return;
    this.callbacks.send({ type: 'answer', target: connectionTarget(peer.from), sdp: peer.pc.localDescription.sdp });
  }

  private enqueue(peer: Peer, operation: () => Promise<void>): void {
    peer.chain = peer.chain.then(operation).catch((error: unknown) => {
      if (this.peer === peer) console.warn('WebRTC (viewer):', error);
    });
  }
}

export function phaseOf(pc: RTCPeerConnection): MediaPhase {
  if (pc.connectionState === 'connected') return 'connected';
  if (pc.connectionState === 'failed') return 'failed';
  return 'connecting';
}

// "o=- 4611731400430051336 2 IN IP4 127.0.0.1": session id and version.
function sdpSession(sdp: string): { id: string; version: bigint } | null {
  const match = /^o=\S+ (\d+) (\d+) /m.exec(sdp);
  if (match === null || match[1] === undefined || match[2] === undefined) return null;
  return { id: match[1], version: BigInt(match[2]) };
}
