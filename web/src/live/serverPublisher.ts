// The studio's side of janus mode (docs/PROTOCOL.md "Media through the server"): one RTCPeerConnection to
// the media server, send-only audio and simulcast video, negotiated over the stream WebSocket with
// `peer: "server"`. The page passes on what the socket says (connection_established, media_state, answers,
// candidates, in the order they arrived) and it decides: publish, stay quiet, or close. It republishes by
// itself on a new socket connection (the server tears a publication down when the streamer's socket
// closes), when the media server is back, when the server drops the publication, and after a failure
// (bounded retries with backoff). Switching the source swaps tracks with replaceTrack only.
import { serverPeer, type MediaInfo, type MediaServerState, type MediaSource } from './mediaMode';
import { exposePeer, forgetPeer, serverPeerKey } from './peerRegistry';
import type { OutgoingTracks } from './streamerPeers';

/**
 * The simulcast layers the studio sends, best first (docs/PROTOCOL.md: rid h, m, l at full, 1/2 and 1/4
 * resolution). The one place to change rid names, order or bitrates.
 */
export const simulcastEncodings: readonly RTCRtpEncodingParameters[] = [
  { rid: 'h', maxBitrate: 2_500_000 },
  { rid: 'm', scaleResolutionDownBy: 2, maxBitrate: 800_000 },
  { rid: 'l', scaleResolutionDownBy: 4, maxBitrate: 200_000 },
];

export type PublishState =
  | 'off' // not in janus mode, or closed for good
  | 'offline' // the stream socket is not connected
  | 'server_down' // the media server is unreachable
  | 'whip' // an encoder publishes over WHIP; the studio stays quiet
  | 'connecting' // offered, waiting for the answer and ICE
  | 'connected'
  | 'retrying' // failed; publishing again in retryInMs
  | 'failed'; // gave up after maxRetries; retryNow() starts over

export interface PublishStatus {
  state: PublishState;
  retryInMs: number | null;
  /** Why the last attempt failed, worded for the streamer. */
  problem: string | null;
}

interface Conditions {
  /** The connection id of the open stream socket in janus mode; null otherwise. A new id is a new session. */
  session: string | null;
  server: MediaServerState | null;
  source: MediaSource | null;
}

interface Publication {
  session: string;
  pc: RTCPeerConnection;
  video: RTCRtpSender;
  audio: RTCRtpSender;
  chain: Promise<void>;
  answerTimer: ReturnType<typeof setTimeout> | undefined;
  /** The server answered this offer (set when the answer arrives, before it is applied). */
  answered: boolean;
}

const maxRetries = 5;
const firstRetryMs = 1000;
const maxRetryMs = 16_000;
// The server answers in well under a second; this long without one means the offer was refused or lost.
const answerTimeoutMs = 15_000;

export class ServerPublisher {
  private readonly send: (message: Record<string, unknown>) => void;
  private readonly onStatus: (status: PublishStatus) => void;
  private iceServers: RTCIceServer[];
  private tracks: OutgoingTracks;
  private conditions: Conditions = { session: null, server: null, source: null };
  private current: Publication | null = null;
  private retries = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private gaveUp = false;
  // Set by takeOver(): publish although an encoder publishes; cleared once the server says we publish.
  private takingOver = false;
  private closed = false;
  private status: PublishStatus = { state: 'off', retryInMs: null, problem: null };

  constructor(
    send: (message: Record<string, unknown>) => void,
    iceServers: RTCIceServer[],
    tracks: OutgoingTracks,
    onStatus: (status: PublishStatus) => void,
  ) {
    this.send = send;
    this.iceServers = iceServers;
    this.tracks = tracks;
    this.onStatus = onStatus;
  }

  setIceServers(iceServers: RTCIceServer[]): void {
    this.iceServers = iceServers;
  }

  /** connection_established: a new socket connection, so a new session at the server (nothing published). */
  connected(session: string, media: MediaInfo): void {
    this.conditions = media.mode === 'janus' ? { session, server: media.server, source: media.source } : { session: null, server: null, source: null };
    this.reconcile();
  }

  /** The socket of `session` closed: the server tears down what it published. A newer session is kept. */
  disconnected(session: string): void {
    if (this.conditions.session !== session) return;
    this.conditions = { ...this.conditions, session: null };
    this.reconcile();
  }

  /** media_state: the media server went up or down, or the publisher changed. */
  mediaChanged(media: MediaInfo): void {
    if (this.conditions.session === null || media.mode !== 'janus') return;
    const previous = this.conditions.source;
    this.conditions = { ...this.conditions, server: media.server, source: media.source };
    // The server said nobody publishes after it answered our offer: our publication ended at the media server
    // although this connection may not have noticed yet. (Before the answer, a null is the server stopping
    // the publication our offer replaces.)
    const current = this.current;
    if (current !== null && current.answered && previous === 'browser' && media.source === null && media.server === 'up') {
      this.fail(current, 'The media server dropped the upload.');
      return;
    }
    this.reconcile();
  }

  /** Publish from this browser even while an encoder publishes (the server lets the newest publisher win). */
  takeOver(): void {
    this.takingOver = true;
    this.reconcile();
  }

  /** After giving up: start again with a fresh retry budget. */
  retryNow(): void {
    this.gaveUp = false;
    this.retries = 0;
    this.clearRetry();
    this.stopPublication();
    this.reconcile();
  }

  handleAnswer(sdp: string): void {
    const publication = this.current;
    if (publication === null) return;
    publication.answered = true;
    this.enqueue(publication, async () => {
      if (publication.pc.signalingState !== 'have-local-offer') return;
      await publication.pc.setRemoteDescription({ type: 'answer', sdp });
      clearTimeout(publication.answerTimer);
    });
  }

  handleCandidate(candidate: unknown): void {
    const publication = this.current;
    // null is the server's end-of-candidates; the answer already carries its candidates, nothing to do.
    if (publication === null || typeof candidate !== 'object' || candidate === null) return;
    this.enqueue(publication, () => publication.pc.addIceCandidate(candidate as RTCIceCandidateInit), false);
  }

  /** Swaps the outgoing tracks; no renegotiation, the publication continues. */
  async replaceTracks(tracks: OutgoingTracks): Promise<void> {
    this.tracks = tracks;
    const publication = this.current;
    if (publication === null) return;
    await Promise.allSettled([publication.video.replaceTrack(tracks.video), publication.audio.replaceTrack(tracks.audio)]);
  }

  /** Stops for good (stream over, page left). */
  close(): void {
    this.closed = true;
    this.clearRetry();
    this.stopPublication();
    this.setStatus({ state: 'off', retryInMs: null, problem: null });
  }

  private reconcile(): void {
    if (this.closed) return;
    const { session, server, source } = this.conditions;
    if (source === 'browser') this.takingOver = false;
    const blocked: PublishState | null =
      session === null ? 'offline' : server !== 'up' ? 'server_down' : source === 'whip' && !this.takingOver ? 'whip' : null;
    if (session === null || blocked !== null) {
      // Whatever was published is gone at the server too; start afresh when the conditions return.
      this.clearRetry();
      this.stopPublication();
      this.retries = 0;
      this.gaveUp = false;
      this.setStatus({ state: blocked ?? 'offline', retryInMs: null, problem: null });
      return;
    }
    if (this.gaveUp || this.retryTimer !== undefined) return;
    if (this.current !== null && this.current.session === session) return;
    this.publish(session);
  }

  private publish(session: string): void {
    this.stopPublication();
    const pc = new RTCPeerConnection({ iceServers: this.iceServers });
    const msid = new MediaStream();
    const video = pc.addTransceiver(this.tracks.video ?? 'video', {
      direction: 'sendonly',
      streams: [msid],
      sendEncodings: simulcastEncodings.map((encoding) => ({ ...encoding })),
    }).sender;
    const audio = pc.addTransceiver(this.tracks.audio ?? 'audio', { direction: 'sendonly', streams: [msid] }).sender;
    const publication: Publication = { session, pc, video, audio, chain: Promise.resolve(), answerTimer: undefined, answered: false };
    this.current = publication;
    exposePeer(serverPeerKey, pc);
    pc.onicecandidate = (event) => {
      if (this.current !== publication) return;
      this.send({ type: 'ice_candidate', peer: serverPeer, candidate: event.candidate === null ? null : event.candidate.toJSON() });
    };
    pc.onconnectionstatechange = () => {
      if (this.current !== publication) return;
      if (pc.connectionState === 'connected') {
        this.retries = 0;
        this.setStatus({ state: 'connected', retryInMs: null, problem: null });
      } else if (pc.connectionState === 'failed' || pc.connectionState === 'closed') {
        // 'closed' here is the media server's doing (a DTLS close): our own close() fires no event.
        this.fail(publication, 'The connection to the media server failed.');
      }
    };
    publication.answerTimer = setTimeout(() => this.fail(publication, 'The media server did not answer.'), answerTimeoutMs);
    this.setStatus({ state: 'connecting', retryInMs: null, problem: this.status.problem });
    this.enqueue(publication, async () => {
      await pc.setLocalDescription(await pc.createOffer());
      if (this.current !== publication || pc.localDescription === null) return;
      this.send({ type: 'offer', peer: serverPeer, sdp: pc.localDescription.sdp });
    });
  }

  private fail(publication: Publication, problem: string): void {
    if (this.current !== publication || this.closed) return;
    this.stopPublication();
    if (this.retries >= maxRetries) {
      this.gaveUp = true;
      this.setStatus({ state: 'failed', retryInMs: null, problem });
      return;
    }
    const delay = Math.min(firstRetryMs * 2 ** this.retries, maxRetryMs);
    this.retries += 1;
    this.setStatus({ state: 'retrying', retryInMs: delay, problem });
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.reconcile();
    }, delay);
  }

  private stopPublication(): void {
    const publication = this.current;
    if (publication === null) return;
    this.current = null;
    clearTimeout(publication.answerTimer);
    publication.pc.close();
    forgetPeer(serverPeerKey, publication.pc);
  }

  private clearRetry(): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  private setStatus(status: PublishStatus): void {
    const same = status.state === this.status.state && status.retryInMs === this.status.retryInMs && status.problem === this.status.problem;
    this.status = status;
    if (!same) this.onStatus(status);
  }

  /** Runs operations on one publication in order; a failed negotiation step (`fatal`) counts as a failure. */
  private enqueue(publication: Publication, operation: () => Promise<void>, fatal = true): void {
    publication.chain = publication.chain.then(operation).catch((error: unknown) => {
      if (this.current !== publication) return;
      console.warn('WebRTC (publisher):', error);
      if (fatal) this.fail(publication, 'Could not set up the connection to the media server.');
    });
  }
}
