import { useEffect, useState } from 'react';
import { Link } from 'react-router-dom';
import { errorMessage } from '../../api/http';
import { listRecentlyEnded, listStreams, type LiveStream } from '../../api/live';
import { ErrorAlert } from '../../components/ErrorAlert';
import { useAuth } from '../../hooks/useAuth';
import { useNow } from '../../hooks/useNow';
import { usePageTitle } from '../../hooks/usePageTitle';
import { formatDateTime, formatDuration, viewersLabel } from '../../live/format';

const pollMs = 5000;

interface Lists {
  live: LiveStream[] | null;
  ended: LiveStream[] | null;
  error: string | null;
}

// Home: who is live now (refreshed every 5 s, the next poll scheduled when the last one ends), and the
// streams that ended most recently.
export function HomePage() {
  usePageTitle('Live now');
  const { user } = useAuth();
  const now = useNow(1000);
  const [lists, setLists] = useState<Lists>({ live: null, ended: null, error: null });

  useEffect(() => {
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = async () => {
      try {
        const [live, ended] = await Promise.all([
          listStreams('live', 50, controller.signal),
          listRecentlyEnded(8, controller.signal),
        ]);
        setLists({ live, ended, error: null });
      } catch (error) {
        if (controller.signal.aborted) return;
        setLists((previous) => ({ ...previous, error: errorMessage(error) }));
      }
      if (!controller.signal.aborted) timer = setTimeout(() => void tick(), pollMs);
    };
    void tick();
    return () => {
      controller.abort();
      clearTimeout(timer);
    };
  }, []);

  return (
    <div className="page">
      <div className="page__head">
        <div>
          <h1 className="page__title">Live now</h1>
          <p className="muted">Watch, chat and go live from your browser. This list refreshes by itself.</p>
        </div>
        {user && (
          <Link className="button button--primary" to="/new" data-testid="go-live-link">
            <span className="button__dot" aria-hidden="true" /> Start a stream
          </Link>
        )}
      </div>
      <ErrorAlert
        messages={lists.error === null ? [] : [{ id: 'list', text: `Cannot load the streams: ${lists.error} Retrying every 5 seconds.` }]}
      />
      <section aria-labelledby="live-heading">
        <h2 id="live-heading" className="section-title">
          Streams live now
        </h2>
        {lists.live === null ? (
          <p className="muted">Loading…</p>
        ) : lists.live.length === 0 ? (
          <div className="card empty" data-testid="no-live-streams">
            <p>Nobody is live right now.</p>
            {user ? (
              <Link to="/new">Start the first stream</Link>
            ) : (
              <p className="muted">
                <Link to="/signup">Sign up</Link> to start one.
              </p>
            )}
          </div>
        ) : (
          <ul className="stream-grid" data-testid="live-streams">
            {lists.live.map((stream) => (
              <li key={stream.id} className="stream-card" data-testid="live-stream-card" data-stream-id={stream.id}>
                <Link to={`/live/${stream.id}`} className="stream-card__link">
                  <span className="badge badge--live stream-card__badge">Live</span>
                  <span className="stream-card__title">{stream.title}</span>
                  <span className="stream-card__meta">
                    <span>{stream.streamer.username}</span>
                    <span data-testid="stream-card-viewers">{viewersLabel(stream.viewersCount)}</span>
                    <span>live for {formatDuration(now - (stream.startedAt ?? now))}</span>
                  </span>
                </Link>
              </li>
            ))}
          </ul>
        )}
      </section>
      <section aria-labelledby="ended-heading">
        <h2 id="ended-heading" className="section-title">
          Recently ended
        </h2>
        {lists.ended === null ? null : lists.ended.length === 0 ? (
          <p className="muted">No stream has ended yet.</p>
        ) : (
          <ul className="ended-list" data-testid="ended-streams">
            {lists.ended.map((stream) => (
              <li key={stream.id} className="ended-list__item">
                <Link to={`/live/${stream.id}`}>{stream.title}</Link>
                <span className="muted">
                  {stream.streamer.username} · {stream.endedAt !== null ? formatDateTime(stream.endedAt) : ''} · peak{' '}
                  {viewersLabel(stream.peakViewers)}
                  {stream.startedAt !== null && stream.endedAt !== null ? ` · ${formatDuration(stream.endedAt - stream.startedAt)}` : ''}
                </span>
                <Link to={`/live/${stream.id}/stats`} className="ended-list__stats">
                  Statistics
                </Link>
              </li>
            ))}
          </ul>
        )}
      </section>
    </div>
  );
}
