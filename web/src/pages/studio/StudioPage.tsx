import { useCallback, useEffect, useRef, useState } from 'react';
import { Link, useParams } from 'react-router-dom';
import { ApiError, errorMessage } from '../../api/http';
import { endLiveStream, getLiveStream, type LiveStream } from '../../api/live';
import { getRecording } from '../../api/recording';
import { ErrorAlert, type AlertMessage } from '../../components/ErrorAlert';
import { RequireUser } from '../../components/RequireUser';
import { useAuth } from '../../hooks/useAuth';
import { useNow } from '../../hooks/useNow';
import { usePageTitle } from '../../hooks/usePageTitle';
import { ChatPanel } from '../../live/ChatPanel';
import { formatDuration } from '../../live/format';
import { capture, listDevices, type Capture, type SourceMode } from '../../live/media';
import { isServerPeer, parseMediaInfo, type MediaMode } from '../../live/mediaMode';
import type { ServerMessage } from '../../live/socket';
import { connectionKey } from '../../live/peerRegistry';
import { ServerPublisher, type PublishStatus } from '../../live/serverPublisher';
import { StreamerPeers } from '../../live/streamerPeers';
import { useLiveRoom } from '../../live/useLiveRoom';
import { useOutgoingBitrate } from '../../live/useOutgoingBitrate';
import { useIceServers } from '../../live/useRtcConfig';
import { formatBytes } from '../../recording/format';
import { StudioRecorder, type RecorderStatus } from '../../recording/studioRecorder';
import { MediaStatus } from './MediaStatus';
import { ModerationLog } from './ModerationLog';
import { RecordingPanel } from './RecordingPanel';
import { StreamKeyPanel } from './StreamKeyPanel';
import { ViewerList } from './ViewerList';

// How long ending the stream waits for the recording's last chunk to upload.
const recordingFlushMs = 4000;

export function StudioPage() {
  usePageTitle('Studio');
  const streamId = Number(useParams().id);
  return (
    <div className="page">
      <RequireUser what="open your studio">
        <StudioLoader streamId={streamId} />
      </RequireUser>
    </div>
  );
}

function StudioLoader({ streamId }: { streamId: number }) {
  const { user } = useAuth();
  const [stream, setStream] = useState<LiveStream | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const controller = new AbortController();
    getLiveStream(streamId, controller.signal)
      .then(setStream)
      .catch((failure: unknown) => {
        if (controller.signal.aborted) return;
        setError(failure instanceof ApiError && failure.status === 404 ? 'There is no stream at this address.' : errorMessage(failure));
      });
    return () => controller.abort();
  }, [streamId]);

  if (error !== null) {
    return (
      <>
        <h1 className="page__title">Studio</h1>
        <ErrorAlert messages={[{ id: 'load', text: error }]} />
        <Link to="/">Back to the streams</Link>
      </>
    );
  }
  if (stream === null) return <p className="muted">Loading the stream…</p>;
  if (user && stream.streamer.id !== user.id) {
    return (
      <>
        <h1 className="page__title">{stream.title}</h1>
        <p className="muted">
          This is {stream.streamer.username}’s studio. <Link to={`/live/${stream.id}`}>Watch the stream</Link> instead.
        </p>
      </>
    );
  }
  return <Studio initial={stream} />;
}

type Phase = 'setup' | 'live' | 'ended' | 'replaced';

// The streamer's studio: pick a source, preview it, go live, and run the stream (viewers, chat, moderation).
// Media goes either to each viewer (p2p: StreamerPeers, one connection per viewer connection) or once to the
// media server (janus: ServerPublisher); the server's connection_established says which.
function Studio({ initial }: { initial: LiveStream }) {
  const streamId = initial.id;
  const now = useNow(1000);
  const iceServers = useIceServers();
  const [mode, setMode] = useState<SourceMode>('camera');
  const [devices, setDevices] = useState<{ cameras: MediaDeviceInfo[]; microphones: MediaDeviceInfo[] }>({ cameras: [], microphones: [] });
  const [cameraId, setCameraId] = useState<string>('');
  const [microphoneId, setMicrophoneId] = useState<string>('');
  const [current, setCurrent] = useState<Capture | null>(null);
  const captureRef = useRef<Capture | null>(null);
  const [capturing, setCapturing] = useState(false);
  const [captureError, setCaptureError] = useState<string | null>(null);
  const [setupPhase, setPhase] = useState<Phase>(initial.status === 'ended' ? 'ended' : 'setup');
  const [actionError, setActionError] = useState<string | null>(null);
  const [sidePanel, setSidePanel] = useState<'viewers' | 'moderation'>('viewers');
  const [peerStats, setPeerStats] = useState({ total: 0, connected: 0 });
  const peersRef = useRef<StreamerPeers | null>(null);
  const publisherRef = useRef<ServerPublisher | null>(null);
  const [publishStatus, setPublishStatus] = useState<PublishStatus>({ state: 'off', retryInMs: null, problem: null });
  // The media mode of the current socket connection, read when viewers join (set on connection_established).
  const mediaModeRef = useRef<MediaMode>('p2p');
  const previewRef = useRef<HTMLVideoElement>(null);
  const viewersTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const [recordOn, setRecordOn] = useState(false);
  const recordOnRef = useRef(false);
  const recorderRef = useRef<StudioRecorder | null>(null);
  const [recording, setRecording] = useState<RecorderStatus | null>(null);
  const [recordProblem, setRecordProblem] = useState<string | null>(null);
  const [recordBlocked, setRecordBlocked] = useState<string | null>(null);
  const [ending, setEnding] = useState(false);

  const requestViewers = useRef<() => void>(() => {});
  const onSignal = useCallback((message: ServerMessage) => {
    const peers = peersRef.current;
    const publisher = publisherRef.current;
    if (peers === null || publisher === null) return;
    if (isServerPeer(message)) {
      if (message.type === 'answer' && typeof message.sdp === 'string') publisher.handleAnswer(message.sdp);
      else if (message.type === 'ice_candidate') publisher.handleCandidate(message.candidate);
      return;
    }
    const from = connectionKey(message.from);
    const connectionId = connectionKey(message.connection_id);
    switch (message.type) {
      case 'connection_established': {
        const media = parseMediaInfo(message.media);
        mediaModeRef.current = media.mode;
        if (connectionId !== null) publisher.connected(connectionId, media);
        // A (re)connected streamer gets a fresh user_joined for every viewer already there.
        peers.closeAll();
        requestViewers.current();
        break;
      }
      case 'media_state':
        publisher.mediaChanged(parseMediaInfo(message));
        break;
      case 'user_joined':
        // In janus mode user_joined only says who watches: the media server sends them the video.
        if (connectionId !== null && mediaModeRef.current === 'p2p') peers.addViewer(connectionId);
        requestViewers.current();
        break;
      case 'user_left':
        if (connectionId !== null) peers.removeViewer(connectionId);
        requestViewers.current();
        break;
      case 'answer':
        if (from !== null && typeof message.sdp === 'string') peers.handleAnswer(from, message.sdp);
        break;
      case 'ice_candidate':
        if (from !== null) peers.handleCandidate(from, message.candidate);
        break;
    }
  }, []);

  const room = useLiveRoom(streamId, { enabled: setupPhase === 'live', onSignal });
  const { state, send, sendComment, dismissNotice } = room;

  useEffect(() => {
    requestViewers.current = () => {
      clearTimeout(viewersTimer.current);
      viewersTimer.current = setTimeout(() => room.sendRaw({ type: 'get_viewers' }), 250);
    };
  }, [room]);

  useEffect(() => {
    if (state.phase === 'open') requestViewers.current();
  }, [state.phase, state.roles]);

  // Janus mode: the publisher hears connection_established and media_state in order through onSignal; only
  // the socket closing comes from here (for the connection that was open, so a newer one is never undone).
  const janus = state.media.mode === 'janus';
  const socketOpen = state.phase === 'open';
  const lastConnection = state.connectionId;
  useEffect(() => {
    if (!socketOpen && lastConnection !== null) publisherRef.current?.disconnected(lastConnection);
  }, [socketOpen, lastConnection]);

  // The end of the broadcast, whoever caused it: release the camera and every peer connection.
  const over = state.finish === 'ended' || state.finish === 'replaced';
  useEffect(() => {
    if (!over) return;
    void recorderRef.current?.stop(recordingFlushMs);
    peersRef.current?.closeAll();
    peersRef.current = null;
    publisherRef.current?.close();
    publisherRef.current = null;
    captureRef.current?.stop();
    captureRef.current = null;
  }, [over]);
  const phase: Phase = state.finish === 'ended' ? 'ended' : state.finish === 'replaced' ? 'replaced' : setupPhase;

  // Stop everything when the page goes away.
  useEffect(
    () => () => {
      clearTimeout(viewersTimer.current);
      recorderRef.current?.dispose();
      peersRef.current?.closeAll();
      publisherRef.current?.close();
      captureRef.current?.stop();
    },
    [],
  );

  const refreshDevices = useCallback(async () => {
    try {
      setDevices(await listDevices());
    } catch {
      /* the lists stay empty; the default device is used */
    }
  }, []);

  useEffect(() => {
    let alive = true;
    listDevices()
      .then((found) => {
        if (alive) setDevices(found);
      })
      .catch(() => {});
    return () => {
      alive = false;
    };
  }, []);

  useEffect(() => {
    const video = previewRef.current;
    if (video !== null && video.srcObject !== (current?.preview ?? null)) {
      video.srcObject = current?.preview ?? null;
      if (current) void video.play().catch(() => {});
    }
  }, [current]);

  /** Captures `nextMode`; while live the new tracks replace the old ones on every viewer's connection. */
  const startSource = useCallback(
    async (nextMode: SourceMode): Promise<Capture | null> => {
      setCapturing(true);
      setCaptureError(null);
      try {
        const next = await capture(nextMode, { cameraId: cameraId || null, microphoneId: microphoneId || null }, () =>
          setCaptureError('Screen sharing stopped. Choose a source again to keep your viewers watching.'),
        );
        const previous = captureRef.current;
        captureRef.current = next;
        setCurrent(next);
        await peersRef.current?.replaceTracks({ video: next.video, audio: next.audio });
        await publisherRef.current?.replaceTracks({ video: next.video, audio: next.audio });
        recorderRef.current?.setSource(next.video, next.audio); // same recording, new picture and sound
        previous?.stop();
        void refreshDevices(); // labels are known once permission was given
        return next;
      } catch (error) {
        setCaptureError(errorMessage(error));
        return null;
      } finally {
        setCapturing(false);
      }
    },
    [cameraId, microphoneId, refreshDevices],
  );

  /** Starts the one recording of this stream (uploads wait and retry until the server has it live). */
  const startRecorder = (source: Capture) => {
    if (recorderRef.current !== null) return;
    setRecordProblem(null);
    try {
      recorderRef.current = new StudioRecorder(streamId, source.video, source.audio, setRecording);
    } catch (error) {
      recordOnRef.current = false;
      setRecordOn(false);
      setRecordProblem(`Cannot record: ${errorMessage(error)}`);
    }
  };

  const toggleRecord = (on: boolean) => {
    recordOnRef.current = on;
    setRecordOn(on);
    if (setupPhase !== 'live' || over) return; // armed: starts with Go live
    const recorder = recorderRef.current;
    if (recorder === null) {
      if (on && captureRef.current !== null) startRecorder(captureRef.current);
    } else if (on) recorder.resume();
    else recorder.pause();
  };

  const goLive = async () => {
    setActionError(null);
    const source = captureRef.current ?? (await startSource(mode));
    if (source === null) return;
    peersRef.current = new StreamerPeers(
      (message) => void room.sendRaw(message),
      iceServers ?? [],
      { video: source.video, audio: source.audio },
      (total, connected) => setPeerStats({ total, connected }),
    );
    publisherRef.current?.close();
    publisherRef.current = new ServerPublisher(
      (message) => void room.sendRaw(message),
      iceServers ?? [],
      { video: source.video, audio: source.audio },
      setPublishStatus,
    );
    setPhase('live');
    if (recordOnRef.current) startRecorder(source);
  };

  // A stream that already has a recording (the studio was reloaded while recording) cannot continue it:
  // a second recorder would start a second WebM file inside the first.
  useEffect(() => {
    if (initial.status !== 'live') return;
    const controller = new AbortController();
    getRecording(streamId, controller.signal)
      .then((existing) => {
        if (existing !== null && existing.bytes > 0) {
          setRecordBlocked(
            `This stream already has a recording (${formatBytes(existing.bytes)}) from before this page was reloaded. It is kept and offered after the stream; it cannot be continued from here.`,
          );
        }
      })
      .catch(() => {});
    return () => controller.abort();
  }, [initial.status, streamId]);

  useEffect(() => {
    if (iceServers !== null) {
      peersRef.current?.setIceServers(iceServers);
      publisherRef.current?.setIceServers(iceServers);
    }
  }, [iceServers]);

  // A reload of a live studio resumes the broadcast with the camera, so viewers get video back in seconds.
  const resumed = useRef(false);
  useEffect(() => {
    if (resumed.current || initial.status !== 'live' || iceServers === null) return;
    resumed.current = true;
    void goLive();
    // goLive is recreated each render; this runs once, when the ICE servers are known
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [iceServers, initial.status]);

  const endStream = async () => {
    if (!window.confirm('End the stream for everyone? This cannot be undone.')) return;
    setActionError(null);
    const recorder = recorderRef.current;
    if (recorder !== null) {
      // The last chunk goes up while the stream is still live (the server takes chunks only then).
      setEnding(true);
      const saved = await recorder.stop(recordingFlushMs);
      setEnding(false);
      if (!saved) setRecordProblem('The end of the recording could not be uploaded in time; what was uploaded is kept.');
    }
    if (send({ type: 'end_stream' })) return;
    try {
      await endLiveStream(streamId);
      setPhase('ended');
      peersRef.current?.closeAll();
      publisherRef.current?.close();
      captureRef.current?.stop();
      captureRef.current = null;
      setCurrent(null);
    } catch (error) {
      setActionError(`Could not end the stream: ${errorMessage(error)}`);
    }
  };

  const alerts: AlertMessage[] = [];
  if (captureError !== null) alerts.push({ id: 'capture', text: captureError, onDismiss: () => setCaptureError(null) });
  if (actionError !== null) alerts.push({ id: 'action', text: actionError, onDismiss: () => setActionError(null) });
  if (state.notice !== null) alerts.push({ id: 'notice', text: state.notice, onDismiss: dismissNotice });
  for (const warning of current?.warnings ?? []) alerts.push({ id: `warn-${warning}`, text: warning });

  const stream = state.stream ?? initial;
  const startedAt = stream.startedAt;
  const connected = state.phase === 'open';
  const peerCount = peerStats.total;
  const peerConnected = peerStats.connected;
  const outgoingKbps = useOutgoingBitrate(phase === 'live');

  const studioState =
    phase === 'ended' ? 'ended' : phase === 'replaced' ? 'replaced' : phase === 'setup' ? 'setup' : connected ? 'live' : 'connecting';

  return (
    <>
      <div className="page__head">
        <div>
          <h1 className="page__title">{stream.title}</h1>
          <p className="muted">
            Your studio ·{' '}
            <Link to={`/live/${streamId}`} target="_blank" rel="noreferrer">
              viewer page
            </Link>{' '}
            · <Link to={`/live/${streamId}/stats`}>statistics</Link>
          </p>
        </div>
        <p className="status-line" role="status">
          <span className={`badge badge--inline ${studioState === 'live' ? 'badge--live' : 'badge--idle'}`} data-testid="studio-state" data-state={studioState}>
            {studioLabels[studioState]}
          </span>
          {studioState === 'live' && startedAt !== null && <span>{formatDuration(now - startedAt)}</span>}
        </p>
      </div>
      <ErrorAlert messages={alerts} />

      {phase === 'ended' ? (
        <div className="card" data-testid="studio-ended">
          <h2 className="card__title">The stream has ended</h2>
          <p>
            Thanks for streaming. <Link to={`/live/${streamId}/stats`}>See how it went</Link> or <Link to="/new">start another stream</Link>.
          </p>
          {recording !== null && recording.uploadedBytes > 0 && (
            <p data-testid="studio-recording-saved">
              Your recording ({formatBytes(recording.uploadedBytes)}) is on the <Link to={`/live/${streamId}/stats`}>stream’s page</Link>, to play and
              download.
            </p>
          )}
        </div>
      ) : phase === 'replaced' ? (
        <div className="card" data-testid="studio-replaced">
          <h2 className="card__title">Broadcasting from another tab</h2>
          <p>This stream was opened in another tab or window, which now sends the video. This tab stopped sending.</p>
        </div>
      ) : (
        <div className="live-layout">
          <div className="live-layout__main">
            <section className="card card--flush" aria-label="Preview">
              <div className="viewer__frame">
                <video ref={previewRef} className="live-video" data-testid="studio-preview" autoPlay playsInline muted hidden={current === null} />
                {current === null && (
                  <div className="placeholder">
                    <p className="placeholder__title">{capturing ? 'Starting…' : 'No source yet'}</p>
                    <p className="placeholder__text">Choose a source below and start the preview. Nothing is sent until you go live.</p>
                  </div>
                )}
                {current !== null && <span className="badge badge--idle preview-badge">Preview</span>}
              </div>
            </section>

            <section className="card" aria-labelledby="source-heading">
              <h2 id="source-heading" className="card__title">
                Source
              </h2>
              <fieldset className="source-modes">
                <legend className="visually-hidden">What to send</legend>
                {sourceModes.map((option) => (
                  <label key={option.mode} className={`source-mode ${mode === option.mode ? 'source-mode--active' : ''}`}>
                    <input
                      type="radio"
                      name="source-mode"
                      value={option.mode}
                      checked={mode === option.mode}
                      data-testid={`source-${option.mode}`}
                      onChange={() => setMode(option.mode)}
                    />
                    <span>{option.label}</span>
                  </label>
                ))}
              </fieldset>
              <div className="device-row">
                {mode !== 'screen' && (
                  <label className="field">
                    <span className="field__label">Camera</span>
                    <select className="input" data-testid="camera-select" value={cameraId} onChange={(e) => setCameraId(e.target.value)}>
                      <option value="">Default camera</option>
                      {devices.cameras.map((d, i) => (
                        <option key={d.deviceId} value={d.deviceId}>
                          {d.label || `Camera ${i + 1}`}
                        </option>
                      ))}
                    </select>
                  </label>
                )}
                <label className="field">
                  <span className="field__label">Microphone</span>
                  <select className="input" data-testid="mic-select" value={microphoneId} onChange={(e) => setMicrophoneId(e.target.value)}>
                    <option value="">Default microphone</option>
                    {devices.microphones.map((d, i) => (
                      <option key={d.deviceId} value={d.deviceId}>
                        {d.label || `Microphone ${i + 1}`}
                      </option>
                    ))}
                  </select>
                </label>
              </div>
              <div className="actions">
                <button
                  type="button"
                  className="button button--secondary"
                  data-testid="apply-source"
                  disabled={capturing}
                  onClick={() => void startSource(mode)}
                >
                  {current === null ? 'Start preview' : phase === 'live' ? 'Switch source (viewers stay connected)' : 'Use this source'}
                </button>
                {phase === 'setup' ? (
                  <button type="button" className="button button--primary" data-testid="go-live" disabled={capturing} onClick={() => void goLive()}>
                    <span className="button__dot" aria-hidden="true" /> Go live
                  </button>
                ) : (
                  <button type="button" className="button button--primary" data-testid="end-stream" disabled={ending} onClick={() => void endStream()}>
                    <span className="button__square" aria-hidden="true" /> {ending ? 'Saving the recording…' : 'End stream'}
                  </button>
                )}
              </div>
              {current !== null && (
                <p className="muted" data-testid="current-source">
                  Sending: {sourceModes.find((o) => o.mode === current.mode)?.label}
                  {current.audio ? ' with sound' : ' without sound'}
                </p>
              )}
            </section>

            <RecordingPanel
              streamId={streamId}
              on={recordOn}
              live={phase === 'live'}
              status={recording}
              blocked={recordBlocked}
              problem={recordProblem}
              now={now}
              onToggle={toggleRecord}
            />

            {phase === 'live' && (
              <section className="card" aria-labelledby="live-stats-heading">
                <h2 id="live-stats-heading" className="card__title">
                  Live
                </h2>
                {state.phase === 'reconnecting' && (
                  <p className="field__error" role="status">
                    Connection to the server lost. Reconnecting{state.retryInMs !== null ? ` in ${Math.ceil(state.retryInMs / 1000)} s` : '…'} —{' '}
                    {janus ? 'your video reaches viewers again once it is back.' : 'viewers keep their video meanwhile.'}
                  </p>
                )}
                <dl className="viewer__stats">
                  <div className="stat">
                    <dt>Watching now</dt>
                    <dd data-testid="studio-viewer-count">{state.viewersCount ?? '–'}</dd>
                  </div>
                  <div className="stat">
                    <dt>Peak</dt>
                    <dd data-testid="studio-peak">{state.peakViewers ?? '–'}</dd>
                  </div>
                  {!janus && (
                    <div className="stat">
                      <dt>Video connections</dt>
                      <dd data-testid="studio-peers">
                        {peerConnected} / {peerCount}
                      </dd>
                    </div>
                  )}
                  <div className="stat">
                    <dt>Sending</dt>
                    <dd data-testid="outgoing-bitrate" data-kbps={outgoingKbps ?? ''}>
                      {outgoingKbps === null ? '–' : `${outgoingKbps} kbit/s`}
                    </dd>
                  </div>
                  <div className="stat">
                    <dt>Live for</dt>
                    <dd>{startedAt !== null ? formatDuration(now - startedAt) : '–'}</dd>
                  </div>
                </dl>
                {peerCount > 0 && peerConnected < peerCount && now - (startedAt ?? now) > 15 && (
                  <p className="muted">Some viewers are still connecting. Peer-to-peer video can be blocked by strict firewalls.</p>
                )}
                {state.connectionId !== null && (
                  <MediaStatus
                    media={state.media}
                    publish={publishStatus}
                    onTakeOver={() => publisherRef.current?.takeOver()}
                    onRetry={() => publisherRef.current?.retryNow()}
                  />
                )}
              </section>
            )}

            <StreamKeyPanel streamId={streamId} mode={state.connectionId !== null ? state.media.mode : null} ended={stream.status === 'ended'} />
          </div>
          <div className="live-layout__side">
            {phase === 'live' && (
              <div className="tabs" role="tablist" aria-label="Studio panels">
                <button
                  type="button"
                  role="tab"
                  id="tab-viewers"
                  className={`tabs__tab ${sidePanel === 'viewers' ? 'tabs__tab--active' : ''}`}
                  aria-selected={sidePanel === 'viewers'}
                  aria-controls="panel-viewers"
                  data-testid="tab-viewers"
                  onClick={() => setSidePanel('viewers')}
                >
                  Viewers
                </button>
                <button
                  type="button"
                  role="tab"
                  id="tab-moderation"
                  className={`tabs__tab ${sidePanel === 'moderation' ? 'tabs__tab--active' : ''}`}
                  aria-selected={sidePanel === 'moderation'}
                  aria-controls="panel-moderation"
                  data-testid="tab-moderation"
                  onClick={() => setSidePanel('moderation')}
                >
                  Moderation
                </button>
              </div>
            )}
            {phase === 'live' && sidePanel === 'viewers' && (
              <div role="tabpanel" id="panel-viewers" aria-labelledby="tab-viewers">
                <ViewerList
                  viewers={state.viewers}
                  count={state.viewersCount}
                  roles={state.roles}
                  onRefresh={() => void send({ type: 'get_viewers' })}
                  onAction={(message) => void send(message)}
                />
              </div>
            )}
            {phase === 'live' && sidePanel === 'moderation' && (
              <section className="card" role="tabpanel" id="panel-moderation" aria-labelledby="tab-moderation">
                <h2 className="card__title">Moderation log</h2>
                <ModerationLog streamId={streamId} live={state.moderationLog} />
              </section>
            )}
            {phase === 'live' && (
              <ChatPanel
                comments={state.comments}
                emotes={state.emotes}
                myRole={state.you?.role ?? 'streamer'}
                myName={state.you?.username ?? null}
                closedReason={connected ? null : 'offline'}
                timedOutUntil={null}
                onSend={sendComment}
                onDelete={(commentId) => void send({ type: 'delete_comment', comment_id: commentId })}
                onWarn={(username, reason) => void send({ type: 'warn_user', username, reason })}
                onTimeout={(username, seconds, reason) => void send({ type: 'timeout_user', username, seconds, reason })}
                onKick={(username, reason) => void send({ type: 'kick_user', username, reason })}
              />
            )}
          </div>
        </div>
      )}
    </>
  );
}

const sourceModes: { mode: SourceMode; label: string }[] = [
  { mode: 'camera', label: 'Camera' },
  { mode: 'screen', label: 'Screen' },
  { mode: 'both', label: 'Screen + camera' },
];

const studioLabels = {
  setup: 'Not live',
  connecting: 'Connecting',
  live: 'Live',
  ended: 'Ended',
  replaced: 'Elsewhere',
} as const;
