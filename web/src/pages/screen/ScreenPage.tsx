import { useRef, useState } from 'react';
import { ApiError, errorMessage } from '../../api/http';
import { startStream, stopStream, type StreamSettings } from '../../api/stream';
import { ErrorAlert, type AlertMessage } from '../../components/ErrorAlert';
import { useFrameFeed } from '../../hooks/useFrameFeed';
import { usePageTitle } from '../../hooks/usePageTitle';
import { useStreamStatus } from '../../hooks/useStreamStatus';
import { describeStatus } from './format';
import { LiveView } from './LiveView';
import { OtherOutputs } from './OtherOutputs';
import { StreamControls } from './StreamControls';
import {
  defaultSettings,
  isSettingField,
  loadBandwidthCap,
  parseSetting,
  saveBandwidthCap,
  type SettingField,
} from './settings';

type FieldErrors = Partial<Record<SettingField, string>>;

// Screen page: start and stop the server's screen feed and watch it live in tile mode (only what changed).
export function ScreenPage() {
  usePageTitle('Screen');
  const { status, requestedAt, error: statusError, refresh } = useStreamStatus(2000);
  const [maxKbps, setMaxKbps] = useState<number | null>(loadBandwidthCap);
  const canvasRef = useRef<HTMLCanvasElement | null>(null);
  const feed = useFrameFeed({
    canvasRef,
    active: status?.active ?? false,
    taskId: status?.taskId ?? null,
    statusRequestedAt: requestedAt,
    maxKbps,
    onEnded: () => void refresh(),
  });
  const changeMaxKbps = (kbps: number | null) => {
    setMaxKbps(kbps);
    saveBandwidthCap(kbps);
  };

  const [text, setText] = useState<Record<SettingField, string>>({
    fps: String(defaultSettings.fps),
    quality: String(defaultSettings.quality),
  });
  // Client-side messages appear once a field was edited or Start was pressed.
  const [checked, setChecked] = useState<Record<SettingField, boolean>>({ fps: false, quality: false });
  const [serverFieldErrors, setServerFieldErrors] = useState<FieldErrors>({});
  const [busy, setBusy] = useState<'start' | 'stop' | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);

  const fieldErrors: FieldErrors = {};
  for (const field of ['fps', 'quality'] as const) {
    const parsed = parseSetting(field, text[field]);
    const message = checked[field] ? parsed.error : undefined;
    const shown = message ?? serverFieldErrors[field];
    if (shown !== undefined) fieldErrors[field] = shown;
  }

  const changeField = (field: SettingField, value: string) => {
    setText((previous) => ({ ...previous, [field]: value }));
    setChecked((previous) => ({ ...previous, [field]: true }));
    setServerFieldErrors((previous) => withoutKey(previous, field));
  };

  const run = async (kind: 'start' | 'stop', action: () => Promise<unknown>) => {
    setBusy(kind);
    setActionError(null);
    try {
      await action();
    } catch (error) {
      setActionError(describeActionError(kind, error));
      if (error instanceof ApiError && isSettingField(error.field)) {
        const field = error.field;
        setServerFieldErrors((previous) => ({ ...previous, [field]: error.message }));
      }
    } finally {
      setBusy(null);
      void refresh();
    }
  };

  const start = (settings: StreamSettings) => void run('start', () => startStream(settings));
  const stop = () => void run('stop', () => stopStream());

  const alerts: AlertMessage[] = [];
  if (actionError !== null) alerts.push({ id: 'action', text: actionError, onDismiss: () => setActionError(null) });
  if (statusError !== null) alerts.push({ id: 'status', text: `Cannot read the stream status: ${statusError} Retrying every 2 seconds.` });
  if (feed.phase === 'failed' && status?.active) {
    alerts.push({ id: 'feed', text: 'The live feed could not be opened. Retrying.' });
  }

  const statusText = status === null ? 'Checking status…' : describeStatus(status);

  return (
    <div className="page">
      <div className="page__head">
        <div>
          <h1 className="page__title">Screen</h1>
          <p className="muted">Share this server’s screen as a live JPEG feed, and watch it here.</p>
        </div>
        <p
          className={`status-line ${status?.active ? 'status-line--live' : ''}`}
          role="status"
          data-testid="stream-status"
        >
          <span className="status-line__dot" aria-hidden="true" />
          {statusText}
        </p>
      </div>

      <ErrorAlert messages={alerts} />

      <div className="screen-layout">
        <section className="card card--flush" aria-label="Live view">
          <LiveView status={status} feed={feed} canvasRef={canvasRef} maxKbps={maxKbps} onMaxKbpsChange={changeMaxKbps} />
        </section>
        <section className="card" aria-labelledby="broadcast-heading">
          <h2 id="broadcast-heading" className="card__title">
            Broadcast
          </h2>
          <StreamControls
            fpsText={text.fps}
            qualityText={text.quality}
            onChange={changeField}
            fieldErrors={fieldErrors}
            onValidationFailed={() => setChecked({ fps: true, quality: true })}
            onStart={start}
            onStop={stop}
            busy={busy}
          />
        </section>
      </div>

      <OtherOutputs />
    </div>
  );
}

function describeActionError(kind: 'start' | 'stop', error: unknown): string {
  const verb = kind === 'start' ? 'start' : 'stop';
  if (error instanceof ApiError) {
    if (error.status === 0) return `Could not ${verb} the stream: ${error.message}`;
    return `Could not ${verb} the stream (${error.status}): ${error.message}`;
  }
  return `Could not ${verb} the stream: ${errorMessage(error)}`;
}

function withoutKey(errors: FieldErrors, field: SettingField): FieldErrors {
  const next = { ...errors };
  delete next[field];
  return next;
}
