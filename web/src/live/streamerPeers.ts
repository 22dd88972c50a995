// The streamer's side of WebRTC (docs/PROTOCOL.md): one RTCPeerConnection per viewer connection, made on
// `user_joined` (a second `user_joined` for a connection that already has one is ignored), closed on
// `user_left`. Each peer has one video and one audio sender; switching the source swaps their tracks with
// replaceTrack, so viewers stay connected. A failed connection is retried once per failure with an ICE
// restart (a renegotiation of the same session, which the viewer applies).
import { connectionTarget, exposePeer, forgetPeer } from './peerRegistry';

export interface OutgoingTracks {
  video: MediaStreamTrack | null;
  audio: MediaStreamTrack | null;
}

interface Peer {
  pc: RTCPeerConnection;
  video: RTCRtpSender;
  audio: RTCRtpSender;
  chain: Promise<void>;
  restarts: number;
}

const maxIceRestarts = 3;

export class StreamerPeers {
  private readonly peers = new Map<string, Peer>();
  private readonly send: (message: Record<string, unknown>) => void;
  private readonly onChange: (total: number, connected: number) => void;
  private iceServers: RTCIceServer[];
  private tracks: OutgoingTracks;

  constructor(
    send: (message: Record<string, unknown>) => void,
    iceServers: RTCIceServer[],
    tracks: OutgoingTracks,
    onChange: (total: number, connected: number) => void,
  ) {
    this.send = send;
    this.iceServers = iceServers;
    this.tracks = tracks;
    this.onChange = onChange;
  }

  get size(): number {
    return this.peers.size;
  }

  connectedCount(): number {
    let count = 0;
    for (const peer of this.peers.values()) if (peer.pc.connectionState === 'connected') count += 1;
    return count;
  }

  private notify(): void {
    this.onChange(this.peers.size, this.connectedCount());
  }

  setIceServers(iceServers: RTCIceServer[]): void {
    this.iceServers = iceServers;
  }

  addViewer(connectionId: string): void {
    if (this.peers.has(connectionId)) return;
    const pc = new RTCPeerConnection({ iceServers: this.iceServers });
    const msid = new MediaStream();
    const video = pc.addTransceiver(this.tracks.video ?? 'video', { direction: 'sendonly', streams: [msid] }).sender;
    const audio = pc.addTransceiver(this.tracks.audio ?? 'audio', { direction: 'sendonly', streams: [msid] }).sender;
    const peer: Peer = { pc, video, audio, chain: Promise.resolve(), restarts: 0 };
    this.peers.set(connectionId, peer);
    exposePeer(`viewer:${connectionId}`, pc);
    pc.onicecandidate = (event) => {
      if (this.peers.get(connectionId) === peer && event.candidate !== null) {
        this.send({ type: 'ice_candidate', target: connectionTarget(connectionId), candidate: event.candidate.toJSON() });
      }
    };
    pc.onconnectionstatechange = () => {
      if (this.peers.get(connectionId) !== peer) return;
      if (pc.connectionState === 'failed' && peer.restarts < maxIceRestarts) {
        peer.restarts += 1;
        this.enqueue(connectionId, peer, () => this.offer(connectionId, peer, true));
      }
      this.notify();
    };
    this.enqueue(connectionId, peer, () => this.offer(connectionId, peer, false));
    this.notify();
  }

  handleAnswer(from: string, sdp: string): void {
    const peer = this.peers.get(from);
    if (peer === undefined) return;
    this.enqueue(from, peer, async () => {
      if (peer.pc.signalingState === 'have-local-offer') await peer.pc.setRemoteDescription({ type: 'answer', sdp });
    });
  }

  handleCandidate(from: string, candidate: unknown): void {
    const peer = this.peers.get(from);
    if (peer === undefined || typeof candidate !== 'object' || candidate === null) return;
    this.enqueue(from, peer, () => peer.pc.addIceCandidate(candidate as RTCIceCandidateInit));
  }

  removeViewer(connectionId: string): void {
    const peer = this.peers.get(connectionId);
    if (peer === undefined) return;
    this.peers.delete(connectionId);
    peer.pc.close();
    forgetPeer(`viewer:${connectionId}`, peer.pc);
    this.notify();
  }

  /** Swaps the outgoing tracks on every peer; no renegotiation, viewers stay connected. */
  async replaceTracks(tracks: OutgoingTracks): Promise<void> {
    this.tracks = tracks;
    const swaps: Promise<void>[] = [];
    for (const peer of this.peers.values()) {
      swaps.push(peer.video.replaceTrack(tracks.video), peer.audio.replaceTrack(tracks.audio));
    }
    await Promise.allSettled(swaps);
  }

  closeAll(): void {
    for (const id of [...this.peers.keys()]) this.removeViewer(id);
  }

  private async offer(connectionId: string, peer: Peer, iceRestart: boolean): Promise<void> {
    if (peer.pc.signalingState !== 'stable' && !iceRestart) return;
    if (iceRestart && peer.pc.signalingState === 'have-local-offer') {
      await peer.pc.setLocalDescription({ type: 'rollback' });
    }
    const offer = await peer.pc.createOffer(iceRestart ? { iceRestart: true } : {});
    await peer.pc.setLocalDescription(offer);
    if (this.peers.get(connectionId) !== peer || peer.pc.localDescription === null) return;
    this.send({ type: 'offer', target: connectionTarget(connectionId), sdp: peer.pc.localDescription.sdp });
  }

  private enqueue(connectionId: string, peer: Peer, operation: () => Promise<void>): void {
    peer.chain = peer.chain.then(operation).catch((error: unknown) => {
      if (this.peers.get(connectionId) === peer) console.warn('WebRTC (streamer):', error);
    });
  }
}
