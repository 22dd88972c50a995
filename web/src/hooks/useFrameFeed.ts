import { useEffect, useRef, useState } from 'react';
import { feedStoppedMessage, streamEndpoints } from '../api/stream';

export type FeedPhase =
  | 'idle' // never opened
  | 'connecting' // opened, no frame yet
  | 'live' // frames arriving
  | 'reconnecting' // the connection dropped; EventSource is retrying
  | 'stopped' // the server said stream_stopped, or the stream is no longer active
  | 'failed'; // the server refused the feed (EventSource gave up)

export interface FeedView {
  phase: FeedPhase;
  /** data: URL of the newest frame, null when there is none for this session. */
  frameSrc: string | null;
  /** Frames received since this session's feed was opened. */
  frames: number;
  /** Frames per second measured over the last couple of seconds. */
  fps: number;
}

interface FeedInput {
  /** Whether GET /stream/status says a stream is active. */
  active: boolean;
  taskId: string | null;
  /** performance.now() when that status was requested. */
  statusRequestedAt: number;
  /** Called when the feed ends (stream_stopped or a refused connection), e.g. to refresh the status. */
  onEnded?: () => void;
}

interface Session extends FeedView {
  key: string;
}

const fpsWindowMs = 2000;
// A JPEG in base64, nothing else: the string becomes an <img> data: URL.
const base64Pattern = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * Owns the one EventSource on /stream/feed. It is open while the status says a stream is active, and closed
 * when the server sends stream_stopped, when the status turns inactive, and on unmount.
 *
 * After the feed ended, it is reopened only for a status that was requested after the end: a poll sent
 * before stream_stopped arrived may still say "active" and must not reopen a feed for a stopped stream.
 */
export function useFrameFeed({ active, taskId, statusRequestedAt, onEnded }: FeedInput): FeedView {
  const [ended, setEnded] = useState<{ at: number; phase: 'stopped' | 'failed' }>({
    at: Number.NEGATIVE_INFINITY,
    phase: 'stopped',
  });
  const [session, setSession] = useState<Session | null>(null);
  const onEndedRef = useRef(onEnded);
  useEffect(() => {
    onEndedRef.current = onEnded;
  });

  const wanted = active && statusRequestedAt > ended.at;
  // A new key (new stream, or a reopen after an end) means a new EventSource and fresh counters.
  const key = wanted ? `${taskId ?? 'active'}@${ended.at}` : null;

  useEffect(() => {
    if (key === null) return;
    const source = new EventSource(streamEndpoints.feed);
    const arrivals: number[] = [];
    let frames = 0;
    let frameSrc: string | null = null;

    const measureFps = (now: number) => {
      while (arrivals.length > 0 && (arrivals[0] ?? now) < now - fpsWindowMs) arrivals.shift();
      if (arrivals.length < 2) return 0;
      const first = arrivals[0] ?? now;
      const span = Math.max(now - first, 1);
      return ((arrivals.length - 1) * 1000) / span;
    };
    const publish = (phase: FeedPhase) => {
      setSession({ key, phase, frameSrc, frames, fps: measureFps(performance.now()) });
    };
    const end = (phase: 'stopped' | 'failed') => {
      source.close();
      clearInterval(ticker);
      publish(phase);
      setEnded({ at: performance.now(), phase });
      onEndedRef.current?.();
    };

    source.onmessage = (event: MessageEvent<string>) => {
      if (event.data === feedStoppedMessage) {
        end('stopped');
        return;
      }
      if (!base64Pattern.test(event.data)) return; // not a frame; ignore rather than render it
      frames += 1;
      arrivals.push(performance.now());
      frameSrc = `data:image/jpeg;base64,${event.data}`;
      publish('live');
    };
    source.onerror = () => {
      // CLOSED: the server refused (non-200 or not an event stream). Otherwise EventSource retries by itself.
      if (source.readyState === EventSource.CLOSED) end('failed');
      else publish('reconnecting');
    };
    // Lets the measured rate fall to 0 when frames stop arriving.
    const ticker = setInterval(() => {
      if (frames > 0) publish(source.readyState === EventSource.OPEN ? 'live' : 'reconnecting');
    }, 1000);

    return () => {
      source.close();
      clearInterval(ticker);
    };
  }, [key]);

  if (key !== null) {
    if (session?.key === key) return session;
    return { phase: 'connecting', frameSrc: null, frames: 0, fps: 0 };
  }
  if (session === null) return { phase: active ? ended.phase : 'idle', frameSrc: null, frames: 0, fps: 0 };
  // Keep the last session's frame count on screen after it ended.
  return { phase: active ? ended.phase : 'stopped', frameSrc: null, frames: session.frames, fps: 0 };
}
