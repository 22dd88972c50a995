import { useId, type RefObject } from 'react';
import type { StreamStatus } from '../../api/stream';
import type { FeedView } from '../../hooks/useFrameFeed';
import { bandwidthCaps } from './settings';

export interface LiveViewProps {
  status: StreamStatus | null;
  feed: FeedView;
  /** Where the feed draws (useFrameFeed's canvasRef). */
  canvasRef: RefObject<HTMLCanvasElement | null>;
  /** The viewer's bandwidth cap in kbit/s, null for none. */
  maxKbps: number | null;
  onMaxKbpsChange: (kbps: number | null) => void;
}

const latencyHint =
  'Time from the capture on the server to the picture drawn here: the median over the last second, or the latest ' +
  'update on a still screen. It assumes the server’s clock and this device’s clock agree.';

// The picture: the tile feed composed on a canvas, or a panel saying why there is none. The canvas is mounted
// for the whole feed session (the feed draws on it before the first picture shows) and hidden until then.
export function LiveView({ status, feed, canvasRef, maxKbps, onMaxKbpsChange }: LiveViewProps) {
  const stopped = status !== null && (!status.active || feed.phase === 'stopped');
  const drawing = feed.open && !stopped;
  const showFrame = drawing && feed.hasPicture;
  const live = showFrame && feed.phase === 'live';

  return (
    <div className="viewer">
      <div className="viewer__frame">
        {drawing && (
          <canvas
            ref={canvasRef}
            className="viewer__image"
            data-testid="live-view"
            role="img"
            aria-label="Live screen feed"
            hidden={!showFrame}
          />
        )}
        {!showFrame && <Placeholder status={status} feed={feed} stopped={stopped} />}
        <span className={`badge ${live ? 'badge--live' : 'badge--idle'}`}>{live ? 'Live' : stopped ? 'Offline' : 'Waiting'}</span>
      </div>
      <dl className="viewer__stats" aria-label="Feed statistics">
        <div className="stat">
          <dt>Frames received</dt>
          <dd data-testid="frames-received">{feed.frames}</dd>
        </div>
        <div className="stat">
          <dt>Updates</dt>
          <dd>
            <span data-testid="measured-fps">{feed.fps.toFixed(1)}</span> fps
          </dd>
        </div>
        <div className="stat">
          <dt>Measured rate</dt>
          <dd>
            <span data-testid="measured-kbps">{Math.round(feed.kbps)}</span> kbit/s
          </dd>
        </div>
        <div className="stat" title={latencyHint}>
          <dt>Latency</dt>
          <dd>
            <span data-testid="latency-ms">{feed.latencyMs === null ? '—' : Math.round(feed.latencyMs)}</span> ms
            <span className="visually-hidden"> ({latencyHint})</span>
          </dd>
        </div>
        <div className="stat">
          <dt>Feed</dt>
          <dd>{phaseLabel(feed, stopped)}</dd>
        </div>
      </dl>
      <BandwidthCapControl maxKbps={maxKbps} onChange={onMaxKbpsChange} />
    </div>
  );
}

// What this browser may receive: the server lowers this viewer's update rate to stay under the cap.
function BandwidthCapControl({ maxKbps, onChange }: { maxKbps: number | null; onChange: (kbps: number | null) => void }) {
  const id = useId();
  const hintId = `${id}-hint`;
  return (
    <div className="viewer__cap">
      <label htmlFor={id}>Bandwidth cap</label>
      <select
        id={id}
        className="input input--small"
        data-testid="bandwidth-cap"
        aria-describedby={hintId}
        value={maxKbps === null ? '' : String(maxKbps)}
        onChange={(event) => {
          const cap = bandwidthCaps.find((c) => (c.kbps === null ? '' : String(c.kbps)) === event.target.value);
          if (cap !== undefined) onChange(cap.kbps);
        }}
      >
        {bandwidthCaps.map((cap) => (
          <option key={cap.label} value={cap.kbps === null ? '' : String(cap.kbps)}>
            {cap.label}
          </option>
        ))}
      </select>
      <span id={hintId} className="muted">
        Fewer updates per second on a slow link; each one still shows the newest picture.
      </span>
    </div>
  );
}

function Placeholder({ status, feed, stopped }: { status: StreamStatus | null; feed: FeedView; stopped: boolean }) {
  if (status === null) {
    return (
      <div className="placeholder" data-testid="status-loading">
        <span className="spinner" aria-hidden="true" />
        <p className="placeholder__title">Checking the stream…</p>
      </div>
    );
  }
  if (stopped) {
    return (
      <div className="placeholder" data-testid="stream-stopped">
        <svg className="placeholder__icon" viewBox="0 0 24 24" aria-hidden="true">
          <rect x="3" y="4" width="18" height="12" rx="2" fill="none" stroke="currentColor" strokeWidth="1.6" />
          <path d="M8 20h8M12 16v4" stroke="currentColor" strokeWidth="1.6" strokeLinecap="round" />
        </svg>
        <p className="placeholder__title">The stream is stopped</p>
        <p className="placeholder__text">Choose a preset and press Start to share this screen.</p>
      </div>
    );
  }
  const retrying = feed.phase === 'failed' || feed.phase === 'reconnecting';
  return (
    <div className="placeholder" data-testid="stream-waiting">
      <span className="spinner" aria-hidden="true" />
      <p className="placeholder__title">{retrying ? 'Reconnecting to the feed…' : 'Waiting for the first frame…'}</p>
    </div>
  );
}

function phaseLabel(feed: FeedView, stopped: boolean): string {
  if (stopped) return 'closed';
  switch (feed.phase) {
    case 'idle':
      return '—';
    case 'connecting':
      return 'connecting';
    case 'live':
      return 'open';
    case 'reconnecting':
      return 'reconnecting';
    case 'failed':
      return 'retrying';
    case 'stopped':
      return 'closed';
  }
}
