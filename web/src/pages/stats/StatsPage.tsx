import { lazy, Suspense, useEffect, useState } from 'react';
import { Link, useParams } from 'react-router-dom';
import { ApiError, errorMessage } from '../../api/http';
import { getLiveStream, getStreamStats, type LiveStream, type StreamStats } from '../../api/live';
import { ErrorAlert } from '../../components/ErrorAlert';
import { usePageTitle } from '../../hooks/usePageTitle';
import { formatDateTime, formatDuration } from '../../live/format';
import { LazyRecordingPlayer as RecordingPlayer } from '../../recording/lazy';

const livePollMs = 5000;
// Chart.js is most of the app's weight: loaded only on this page.
const ViewersChart = lazy(() => import('./ViewersChart').then((module) => ({ default: module.ViewersChart })));

// Statistics of one stream: the seed's figures and viewers over time. Refreshes while the stream is live.
export function StatsPage() {
  const streamId = Number(useParams().id);
  const [stream, setStream] = useState<LiveStream | null>(null);
  const [stats, setStats] = useState<StreamStats | null>(null);
  const [error, setError] = useState<string | null>(null);
  usePageTitle(stream ? `Statistics · ${stream.title}` : 'Statistics');

  useEffect(() => {
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = async () => {
      try {
        const [s, st] = await Promise.all([getLiveStream(streamId, controller.signal), getStreamStats(streamId, controller.signal)]);
        setStream(s);
        setStats(st);
        setError(null);
        if (st.status === 'ended') return;
      } catch (failure) {
        if (controller.signal.aborted) return;
        if (failure instanceof ApiError && failure.status === 404) {
          setError('There is no stream at this address.');
          return;
        }
        setError(`Cannot load the statistics: ${errorMessage(failure)}`);
      }
      if (!controller.signal.aborted) timer = setTimeout(() => void tick(), livePollMs);
    };
    void tick();
    return () => {
      controller.abort();
      clearTimeout(timer);
    };
  }, [streamId]);

  return (
    <div className="page">
      <div className="page__head">
        <div>
          <h1 className="page__title">{stream ? stream.title : 'Statistics'}</h1>
          <p className="muted">
            {stream ? <>Statistics of {stream.streamer.username}’s stream · </> : null}
            <Link to={`/live/${streamId}`}>stream page</Link>
          </p>
        </div>
        {stats && (
          <span className={`badge badge--inline ${stats.status === 'live' ? 'badge--live' : 'badge--idle'}`} data-testid="stats-status">
            {stats.status === 'live' ? 'Live · updating' : stats.status === 'ended' ? 'Ended' : 'Not started'}
          </span>
        )}
      </div>
      <ErrorAlert messages={error === null ? [] : [{ id: 'stats', text: error }]} />
      {stats && (
        <>
          {stats.status === 'ended' && <RecordingPlayer streamId={streamId} title={stream?.title ?? null} />}
          <dl className="figures" data-testid="stats-figures">
            <Figure label="Viewers now" value={String(stats.viewersCount)} testId="stat-viewers" />
            <Figure label="Peak viewers" value={String(stats.peakViewers)} testId="stat-peak" />
            <Figure label="Duration" value={formatDuration(stats.duration)} testId="stat-duration" />
            <Figure label="Comments" value={String(stats.commentsCount)} testId="stat-comments" />
            <Figure label="Average viewers" value={stats.averageViewers.toFixed(1)} testId="stat-average" />
          </dl>
          <section className="card" aria-labelledby="chart-heading">
            <h2 id="chart-heading" className="card__title">
              Viewers over time
            </h2>
            {stats.series.length === 0 ? (
              <p className="muted">No samples yet: they are recorded while the stream is live.</p>
            ) : (
              <Suspense fallback={<p className="muted">Loading the chart…</p>}>
                <ViewersChart series={stats.series} />
              </Suspense>
            )}
            <p className="muted">
              {stats.startedAt !== null ? `Started ${formatDateTime(stats.startedAt)}` : 'Not started yet'}
              {stats.endedAt !== null ? ` · ended ${formatDateTime(stats.endedAt)}` : ''}
            </p>
          </section>
        </>
      )}
    </div>
  );
}

function Figure({ label, value, testId }: { label: string; value: string; testId: string }) {
  return (
    <div className="figure">
      <dt>{label}</dt>
      <dd data-testid={testId}>{value}</dd>
    </div>
  );
}
