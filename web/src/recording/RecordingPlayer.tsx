import { useCallback, useEffect, useRef, useState, type SyntheticEvent } from 'react';
import { errorMessage } from '../api/http';
import { getRecording, type Recording } from '../api/recording';
import { formatDuration } from '../live/format';
import { formatBytes } from './format';
import './recording.css';

const durationProbeMs = 8000;

// A finished stream's recording: a player and a download link, shown only when the server has one.
// Chromium's MediaRecorder writes WebM without a duration (the player says Infinity until it reads the end),
// so on loadedmetadata the player seeks far past the end, waits for the real duration, and seeks back to 0.
export function RecordingPlayer({ streamId, title }: { streamId: number; title: string | null }) {
  const [recording, setRecording] = useState<Recording | null | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const [attempt, setAttempt] = useState(0);
  const [duration, setDuration] = useState<number | null>(null);
  const [playError, setPlayError] = useState<string | null>(null);
  const probe = useRef<() => void>(() => {});

  useEffect(() => {
    const controller = new AbortController();
    getRecording(streamId, controller.signal)
      .then((found) => {
        setRecording(found);
        setError(null);
      })
      .catch((failure: unknown) => {
        if (!controller.signal.aborted) setError(errorMessage(failure));
      });
    return () => controller.abort();
  }, [streamId, attempt]);

  useEffect(() => () => probe.current(), []);

  const onLoadedMetadata = useCallback((event: SyntheticEvent<HTMLVideoElement>) => {
    const video = event.currentTarget;
    probe.current();
    if (Number.isFinite(video.duration)) {
      setDuration(video.duration);
      video.dataset.durationReady = 'true';
      return;
    }
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      video.removeEventListener('durationchange', onChange);
      probe.current = () => {};
      video.currentTime = 0;
      if (Number.isFinite(video.duration)) setDuration(video.duration);
      video.dataset.durationReady = 'true';
    };
    const onChange = () => {
      if (Number.isFinite(video.duration)) finish();
    };
    const timer = setTimeout(finish, durationProbeMs);
    probe.current = () => {
      done = true;
      clearTimeout(timer);
      video.removeEventListener('durationchange', onChange);
    };
    video.addEventListener('durationchange', onChange);
    video.currentTime = Number.MAX_SAFE_INTEGER; // makes the player read to the end and learn the duration
  }, []);

  if (error !== null) {
    return (
      <section className="card" aria-labelledby="recording-heading">
        <h2 id="recording-heading" className="card__title">
          Recording
        </h2>
        <p className="recording-problem" role="alert">
          Could not check for a recording: {error}
        </p>
        <button type="button" className="button button--secondary button--small" onClick={() => setAttempt((n) => n + 1)}>
          Try again
        </button>
      </section>
    );
  }
  if (recording === undefined || recording === null || recording.bytes === 0) return null;

  const fileName = `${(title ?? 'stream').replace(/[^\p{L}\p{N} _-]+/gu, '').trim().slice(0, 80) || 'stream'} (${streamId}).webm`;
  return (
    <section className="card" aria-labelledby="recording-heading" data-testid="recording-section">
      <h2 id="recording-heading" className="card__title">
        Recording
      </h2>
      <video
        className="recording-player"
        data-testid="recording-video"
        controls
        preload="metadata"
        playsInline
        src={recording.url}
        onLoadedMetadata={onLoadedMetadata}
        onError={() => setPlayError('This browser cannot play the recording here. Download it and open it with a video player (VLC plays WebM).')}
        aria-label={title ? `Recording of ${title}` : 'Recording of the stream'}
      />
      {playError && <p className="recording-problem">{playError}</p>}
      <div className="recording-meta">
        <span className="muted" data-testid="recording-info">
          {duration !== null ? `${formatDuration(duration)} · ` : ''}
          {formatBytes(recording.bytes)} · WebM
        </span>
        <a className="button button--secondary button--small" href={recording.url} download={fileName} data-testid="recording-download">
          Download
        </a>
      </div>
    </section>
  );
}
