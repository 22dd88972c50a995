import { useEffect, useRef, useState, type RefObject } from 'react';
import { feedStoppedMessage, tileFeedUrl } from '../api/stream';
import { keyFrameRequest, parseTileMessage } from '../api/tileMessage';
import { FeedMeter, type FeedRates } from './feedMeter';
import { TileCanvas } from './tileCanvas';

export type FeedPhase =
  | 'idle' // never opened
  | 'connecting' // opened, no frame yet
  | 'live' // frames arriving
  | 'reconnecting' // the connection dropped; reopening it with backoff
  | 'stopped' // the server said stream_stopped, or the stream is no longer active
  | 'failed'; // the server refused the feed (the first connection never opened)

export interface FeedView extends FeedRates {
  phase: FeedPhase;
  /** A feed session is open: the canvas must be mounted on `canvasRef` for it to draw on. */
  open: boolean;
  /**
   * The canvas holds a picture of this stream: this session drew its first key frame, or the session it replaced
   * (same stream, another cap) did, and its picture stays up until the new one arrives.
   */
  hasPicture: boolean;
  /** Messages (screen updates) received since this session's feed was opened. */
  frames: number;
}

interface FeedInput {
  /** Whether GET /stream/status says a stream is active. */
  active: boolean;
  taskId: string | null;
  /** performance.now() when that status was requested. */
  statusRequestedAt: number;
  /** The viewer's cap (?max_kbps), null for none. Changing it reopens the feed. */
  maxKbps: number | null;
  /** The canvas to draw on, mounted while the view's `open` is true; the feed sizes it to the screen. */
  canvasRef: RefObject<HTMLCanvasElement | null>;
  /** Called when the feed ends (stream_stopped or a refused connection), e.g. to refresh the status. */
  onEnded?: () => void;
}

type Snapshot = Omit<FeedView, 'open'>;

interface Session extends Snapshot {
  key: string;
}

const idleRates: FeedRates = { fps: 0, kbps: 0, latencyMs: null };
const tickMs = 250;
const firstRetryMs = 500;
const maxRetryMs = 8000;

/**
 * Owns the one WebSocket on /stream/ws?mode=tiles and draws what it brings onto `canvasRef`. It is open while
 * the status says a stream is active, and closed when the server sends stream_stopped, when the status turns
 * inactive, and on unmount. A connection that drops is reopened with backoff (0.5 s doubling to 8 s) and the
 * session goes on: the server starts every connection with a key frame. A first connection that never opens
 * ends the session as 'failed'.
 *
 * After the feed ended, it is reopened only for a status that was requested after the end: a poll sent
 * before stream_stopped arrived may still say "active" and must not reopen a feed for a stopped stream.
 */
export function useFrameFeed({ active, taskId, statusRequestedAt, maxKbps, canvasRef, onEnded }: FeedInput): FeedView {
  const [ended, setEnded] = useState<{ at: number; phase: 'stopped' | 'failed' }>({
    at: Number.NEGATIVE_INFINITY,
    phase: 'stopped',
  });
  const [session, setSession] = useState<Session | null>(null);
  // Which stream's picture the mounted canvas shows (a session's stream key), so that reopening with another cap
  // keeps the picture instead of a placeholder until the new key frame; after an end the key differs.
  const [pictureOf, setPictureOf] = useState<string | null>(null);
  const onEndedRef = useRef(onEnded);
  useEffect(() => {
    onEndedRef.current = onEnded;
  });

  const wanted = active && statusRequestedAt > ended.at;
  // A new key (new stream, a reopen after an end, another cap) means a new session and fresh counters.
  const streamKey = wanted ? `${taskId ?? 'active'}@${ended.at}` : null;
  const key = streamKey === null ? null : `${streamKey}/${maxKbps ?? 'unlimited'}`;

  useEffect(() => {
    if (key === null || streamKey === null) return;
    const url = tileFeedUrl(maxKbps);
    const meter = new FeedMeter(performance.now());
    let phase: FeedPhase = 'connecting';
    let frames = 0;
    let hasPicture = false;
    let everOpened = false;
    let failedAttempts = 0;
    let finished = false;
    let socket: WebSocket | null = null;
    let retry: ReturnType<typeof setTimeout> | undefined;
    let published = '';

    const publish = () => {
      const snapshot: Snapshot = { phase, frames, hasPicture, ...meter.rates(performance.now()) };
      // Re-render only when something shown changed (the ticker calls this 4 times a second).
      const { fps, kbps, latencyMs } = snapshot;
      const rounded = [fps.toFixed(1), Math.round(kbps), latencyMs === null ? null : Math.round(latencyMs)];
      const shown = JSON.stringify([phase, frames, hasPicture, ...rounded]);
      if (shown === published) return;
      published = shown;
      setSession({ key, ...snapshot });
    };

    const canvas = new TileCanvas(() => canvasRef.current, {
      requestKeyFrame: () => {
        if (socket?.readyState === WebSocket.OPEN) socket.send(keyFrameRequest);
      },
      drawn: (message) => {
        meter.onDrawn(Date.now() - message.capturedAt, performance.now());
        if (!hasPicture) {
          hasPicture = true;
          setPictureOf(streamKey);
          publish();
        }
      },
    });

    const finish = () => {
      finished = true;
      clearTimeout(retry);
      clearInterval(ticker);
      canvas.close();
      const current = socket;
      socket = null;
      current?.close();
    };
    const end = (endPhase: 'stopped' | 'failed') => {
      finish();
      phase = endPhase;
      publish();
      setEnded({ at: performance.now(), phase: endPhase });
      onEndedRef.current?.();
    };

    const connect = () => {
      const ws = new WebSocket(url);
      ws.binaryType = 'arraybuffer';
      socket = ws;
      ws.onopen = () => {
        everOpened = true;
      };
      ws.onmessage = (event: MessageEvent<ArrayBuffer | string>) => {
        if (socket !== ws) return;
        if (typeof event.data === 'string') {
          if (event.data === feedStoppedMessage) end('stopped');
          return; // no other text message is defined; ignore rather than fail
        }
        const parsed = parseTileMessage(event.data);
        if (!parsed.ok) {
          // The picture may now miss a change: start over from a key frame.
          console.warn(`screen feed: ignored a message: ${parsed.error}`);
          ws.send(keyFrameRequest);
          return;
        }
        failedAttempts = 0;
        frames += 1;
        meter.onMessage(event.data.byteLength, performance.now());
        canvas.push(parsed.message);
        phase = 'live';
        if (frames === 1) publish();
      };
      ws.onclose = () => {
        if (socket !== ws || finished) return;
        socket = null;
        if (!everOpened) {
          end('failed'); // refused (e.g. 4xx on the upgrade) or unreachable
          return;
        }
        phase = 'reconnecting';
        publish();
        const delay = Math.min(firstRetryMs * 2 ** failedAttempts, maxRetryMs);
        failedAttempts += 1;
        retry = setTimeout(connect, delay);
      };
    };

    // Keeps the counters moving, and lets the measured rates fall to 0 when updates stop arriving.
    const ticker = setInterval(publish, tickMs);
    connect();

    return finish;
  }, [key, streamKey, maxKbps, canvasRef]);

  const open = key !== null;
  const keptPicture = streamKey !== null && pictureOf === streamKey;
  if (key !== null && session?.key === key) {
    const { phase, hasPicture, frames, fps, kbps, latencyMs } = session;
    return { phase, open, hasPicture: hasPicture || keptPicture, frames, fps, kbps, latencyMs };
  }
  if (key !== null) return { phase: 'connecting', open, hasPicture: keptPicture, frames: 0, ...idleRates };
  if (session === null) return { phase: active ? ended.phase : 'idle', open, hasPicture: false, frames: 0, ...idleRates };
  // Keep the last session's frame count on screen after it ended.
  return { phase: active ? ended.phase : 'stopped', open, hasPicture: false, frames: session.frames, ...idleRates };
}
