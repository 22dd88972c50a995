import type { StreamStatus } from '../../api/stream';
import type { FeedView } from '../../hooks/useFrameFeed';

export interface LiveViewProps {
  status: StreamStatus | null;
  feed: FeedView;
}

// The picture: newest frame from /stream/feed, or a panel saying why there is none.
export function LiveView({ status, feed }: LiveViewProps) {
  const stopped = status !== null && (!status.active || feed.phase === 'stopped');
  const showFrame = !stopped && feed.frameSrc !== null;
  const live = showFrame && feed.phase === 'live';

  return (
    <div className="viewer">
      <div className="viewer__frame">
        {showFrame ? (
          // No decoding="async": with a new src every frame Chrome then paints nothing at all.
          <img
            className="viewer__image"
            data-testid="live-view"
            src={feed.frameSrc ?? undefined}
            alt="Live screen feed"
          />
        ) : (
          <Placeholder status={status} feed={feed} stopped={stopped} />
        )}
        <span className={`badge ${live ? 'badge--live' : 'badge--idle'}`}>{live ? 'Live' : stopped ? 'Offline' : 'Waiting'}</span>
      </div>
      <dl className="viewer__stats" aria-label="Feed statistics">
        <div className="stat">
          <dt>Frames received</dt>
          <dd data-testid="frames-received">{feed.frames}</dd>
        </div>
        <div className="stat">
          <dt>Measured rate</dt>
          <dd>
            <span data-testid="measured-fps">{feed.fps.toFixed(1)}</span> fps
          </dd>
        </div>
        <div className="stat">
          <dt>Feed</dt>
          <dd>{phaseLabel(feed, stopped)}</dd>
        </div>
      </dl>
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
