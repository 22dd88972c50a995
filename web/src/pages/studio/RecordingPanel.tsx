import { Link } from 'react-router-dom';
import { formatBytes } from '../../recording/format';
import type { RecorderStatus } from '../../recording/studioRecorder';
import '../../recording/recording.css';

// The studio's Record switch and what the recording is doing: bytes confirmed by the server, pieces still
// waiting in this tab, retries, and errors worded so the streamer knows what to do.
export function RecordingPanel({
  streamId,
  on,
  live,
  status,
  blocked,
  problem,
  now,
  onToggle,
}: {
  streamId: number;
  on: boolean;
  live: boolean;
  status: RecorderStatus | null;
  /** Why recording cannot be turned on here (shown instead of the switch's usual help). */
  blocked: string | null;
  /** A problem starting the recorder. */
  problem: string | null;
  now: number;
  onToggle: (on: boolean) => void;
}) {
  const phase = status?.phase ?? null;
  const disabled = blocked !== null || phase === 'failed' || phase === 'stopping' || phase === 'stopped';
  const state = phase ?? (on ? 'armed' : 'off');
  const uploaded = status ? formatBytes(status.uploadedBytes) : '0 B';
  const pending = status?.pending ?? 0;

  let line: string;
  switch (state) {
    case 'recording':
      line = `Recording · ${uploaded} uploaded · ${pending} pending`;
      break;
    case 'paused':
      line = `Paused · ${uploaded} uploaded${pending > 0 ? ` · ${pending} pending` : ''}. Turn Record back on to continue the same recording.`;
      break;
    case 'stopping':
      line = `Saving the end of the recording · ${uploaded} uploaded · ${pending} pending`;
      break;
    case 'stopped':
      line = pending > 0 ? `Recording stopped · ${uploaded} uploaded · ${pending} parts were not uploaded` : `Recording saved · ${uploaded}`;
      break;
    case 'failed':
      line = `Recording stopped · ${uploaded} uploaded`;
      break;
    case 'armed':
      line = live ? 'Record is on: starting…' : 'Record is on: recording starts when you go live.';
      break;
    default:
      line = 'Record is off. Turn it on to keep a recording people can watch and download after the stream.';
  }
  const tone = state === 'recording' ? 'recording' : state === 'stopped' && pending === 0 ? 'saved' : 'idle';

  return (
    <section className="card" aria-labelledby="recording-heading" data-testid="recording-panel">
      <div className="recording-card__head">
        <h2 id="recording-heading" className="card__title">
          Recording
        </h2>
        <label className="record-switch">
          <input
            type="checkbox"
            role="switch"
            data-testid="record-toggle"
            checked={on && phase !== 'failed'}
            disabled={disabled}
            aria-describedby="recording-status"
            onChange={(event) => onToggle(event.target.checked)}
          />
          <span>Record</span>
        </label>
      </div>
      <p
        id="recording-status"
        className={`recording-status recording-status--${tone}`}
        role="status"
        data-testid="recording-status"
        data-state={state}
        data-bytes={status?.uploadedBytes ?? 0}
        data-pending={pending}
      >
        <span className="recording-status__dot" aria-hidden="true" />
        <span>{line}</span>
      </p>
      {status?.retry && status.fatal === null && (
        <p className="recording-problem" data-testid="recording-retry">
          {status.retry.message}. Retrying {status.retry.at > now * 1000 ? `in ${Math.ceil((status.retry.at - now * 1000) / 1000)} s` : 'now'} —{' '}
          {pending} {pending === 1 ? 'part' : 'parts'} ({formatBytes(status.pendingBytes)}) wait in this tab: keep it open.
        </p>
      )}
      {status?.fatal && (
        <p className="recording-problem" role="alert" data-testid="recording-error">
          {status.fatal}
        </p>
      )}
      {problem && (
        <p className="recording-problem" role="alert" data-testid="recording-error">
          {problem}
        </p>
      )}
      {blocked && <p className="muted recording-note">{blocked}</p>}
      {state === 'stopped' && status !== null && status.uploadedBytes > 0 && (
        <p className="muted recording-note">
          Viewers can play and download it from the <Link to={`/live/${streamId}/stats`}>stream’s page</Link>.
        </p>
      )}
      {live && state === 'recording' && <p className="muted recording-note">Switching the source keeps the same recording going.</p>}
    </section>
  );
}
