// The viewer's side of janus mode (docs/PROTOCOL.md "Media through the server"): receives the stream from
// the media server. Each `offer` with `peer: "server"` starts a new server session, so the previous
// connection is closed and the new one answered (receive-only). Trickles `ice_candidate` with the server.
// While reporting is on (quality `auto`), sends the cumulative inbound-rtp video counters every 2 s as
// `media_report`, from which the server picks the simulcast layer this viewer's link carries.
import { serverPeer } from './mediaMode';
import { exposePeer, forgetPeer, serverPeerKey } from './peerRegistry';
import { videoReceiveCounters } from './rtcStats';
import { phaseOf, type MediaPhase } from './viewerPeer';

interface Session {
  pc: RTCPeerConnection;
  stream: MediaStream;
  chain: Promise<void>;
}

export interface ServerViewerCallbacks {
  send: (message: Record<string, unknown>) => void;
  onMedia: (stream: MediaStream | null, phase: MediaPhase) => void;
}

const reportEveryMs = 2000;

export class ServerViewer {
  private readonly iceServers: Promise<RTCIceServer[]>;
  private readonly callbacks: ServerViewerCallbacks;
  private session: Session | null = null;
  private reporting = false;
  private reportTimer: ReturnType<typeof setInterval> | undefined;

  constructor(iceServers: Promise<RTCIceServer[]>, callbacks: ServerViewerCallbacks) {
    this.iceServers = iceServers;
    this.callbacks = callbacks;
  }

  handleOffer(sdp: string): void {
    this.close();
    const session = this.createSession();
    this.enqueue(session, async () => {
      await session.pc.setRemoteDescription({ type: 'offer', sdp });
      await session.pc.setLocalDescription();
      if (this.session !== session || session.pc.localDescription === null) return;
      this.callbacks.send({ type: 'answer', peer: serverPeer, sdp: session.pc.localDescription.sdp });
    }, true);
    this.syncReports();
  }

  handleCandidate(candidate: unknown): void {
    const session = this.session;
    // null is the server's end-of-candidates: nothing to apply.
    if (session === null || typeof candidate !== 'object' || candidate === null) return;
    this.enqueue(session, () => session.pc.addIceCandidate(candidate as RTCIceCandidateInit));
  }

  /** Whether to send `media_report`s (only while the viewer's requested quality is `auto`). */
  setReporting(on: boolean): void {
    this.reporting = on;
    this.syncReports();
  }

  /** Ends the current server session (the server said it is gone, or the page leaves). */
  close(): void {
    const session = this.session;
    if (session === null) return;
    this.session = null;
    session.pc.close();
    forgetPeer(serverPeerKey, session.pc);
    this.syncReports();
    this.callbacks.onMedia(null, 'none');
  }

  /** close() plus no more reports: the page is going away. */
  dispose(): void {
    this.reporting = false;
    this.close();
    this.syncReports();
  }

  private createSession(): Session {
    const stream = new MediaStream();
    const session: Session = { pc: new RTCPeerConnection(), stream, chain: Promise.resolve() };
    // The ICE servers are fetched once per page; the first offer may arrive before they are known.
    session.chain = this.iceServers.then((iceServers) => {
      if (this.session === session) session.pc.setConfiguration({ iceServers });
    });
    this.session = session;
    exposePeer(serverPeerKey, session.pc);
    const { pc } = session;
    pc.ontrack = (event) => {
      if (this.session !== session) return;
      if (!stream.getTracks().includes(event.track)) stream.addTrack(event.track);
      this.callbacks.onMedia(stream, phaseOf(pc));
    };
    pc.onicecandidate = (event) => {
      if (this.session !== session) return;
      this.callbacks.send({ type: 'ice_candidate', peer: serverPeer, candidate: event.candidate === null ? null : event.candidate.toJSON() });
    };
    pc.onconnectionstatechange = () => {
      if (this.session === session) this.callbacks.onMedia(stream.getTracks().length > 0 ? stream : null, phaseOf(pc));
    };
    this.callbacks.onMedia(null, 'connecting');
    return session;
  }

  private syncReports(): void {
    const wanted = this.reporting && this.session !== null;
    if (wanted && this.reportTimer === undefined) {
      this.reportTimer = setInterval(() => void this.report(), reportEveryMs);
    } else if (!wanted && this.reportTimer !== undefined) {
      clearInterval(this.reportTimer);
      this.reportTimer = undefined;
    }
  }

  private async report(): Promise<void> {
    const session = this.session;
    if (session === null || session.pc.connectionState !== 'connected') return;
    const counters = await videoReceiveCounters(session.pc);
    if (counters === null || this.session !== session || !this.reporting) return;
    this.callbacks.send({ type: 'media_report', ...counters });
  }

  /** Runs operations on one session in order; a failed answer (`fatal`) shows as a failed connection. */
  private enqueue(session: Session, operation: () => Promise<void>, fatal = false): void {
    session.chain = session.chain.then(operation).catch((error: unknown) => {
      if (this.session !== session) return;
      console.warn('WebRTC (server viewer):', error);
      if (fatal) this.callbacks.onMedia(null, 'failed');
    });
  }
}
