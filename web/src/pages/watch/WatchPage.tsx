import { useCallback, useEffect, useRef, useState } from 'react';
import { Link, useParams } from 'react-router-dom';
import { errorMessage } from '../../api/http';
import { getLiveStream, type LiveStream } from '../../api/live';
import { ErrorAlert, type AlertMessage } from '../../components/ErrorAlert';
import { useAuth } from '../../hooks/useAuth';
import { useNow } from '../../hooks/useNow';
import { usePageTitle } from '../../hooks/usePageTitle';
import { ChatPanel, type ChatPanelProps } from '../../live/ChatPanel';
import { formatClock, formatDuration, viewersLabel } from '../../live/format';
import { isServerPeer, parseMediaInfo, parseQualityInfo, type Layer, type MediaInfo, type QualityChoice } from '../../live/mediaMode';
import { connectionKey } from '../../live/peerRegistry';
import { ServerViewer } from '../../live/serverViewer';
import type { ServerMessage } from '../../live/socket';
import { useLiveRoom } from '../../live/useLiveRoom';
import { useIceServersPromise } from '../../live/useRtcConfig';
import { ViewerPeer, type MediaPhase } from '../../live/viewerPeer';
import { LazyRecordingPlayer as RecordingPlayer } from '../../recording/lazy';
import { QualityBar } from './QualityBar';

// After this long in `failed`, the page reconnects its socket: the streamer then offers a fresh peer.
const mediaFailedReconnectMs = 5000;

export type WatchState = 'connecting' | 'waiting' | 'live' | 'ended' | 'kicked' | 'lost' | 'not_found';

// Watch page: the streamer's video over WebRTC, the viewer count, the chat, and moderation for moderators.
// Works for guests (no chat box). The video comes peer to peer from the streamer (ViewerPeer) or, in janus
// mode, from the media server (ServerViewer, with a simulcast quality choice); messages with
// `peer: "server"` go to the latter.
export function WatchPage() {
  const streamId = Number(useParams().id);
  const { user } = useAuth();
  const now = useNow(1000);
  const iceServers = useIceServersPromise();
  const viewerRef = useRef<ViewerPeer | null>(null);
  const serverViewerRef = useRef<ServerViewer | null>(null);
  const [requested, setRequested] = useState<QualityChoice>('auto');
  const requestedRef = useRef<QualityChoice>('auto');
  const [layer, setLayer] = useState<Layer | null>(null);
  const sendRawRef = useRef<(message: Record<string, unknown>) => boolean>(() => false);
  const [media, setMedia] = useState<{ stream: MediaStream | null; phase: MediaPhase }>({ stream: null, phase: 'none' });
  const [restStream, setRestStream] = useState<LiveStream | null>(null);
  const [offerSeen, setOfferSeen] = useState(false);

  const onSignal = useCallback((message: ServerMessage) => {
    const viewer = viewerRef.current;
    const serverViewer = serverViewerRef.current;
    if (viewer === null || serverViewer === null) return;
    if (isServerPeer(message)) {
      if (message.type === 'offer' && typeof message.sdp === 'string') {
        setOfferSeen(true);
        serverViewer.handleOffer(message.sdp);
        const offered = parseQualityInfo(message.quality);
        setLayer(offered.layer);
        // Each offer is a new server session: keep this viewer's choice if the server does not have it.
        if ((offered.requested ?? 'auto') !== requestedRef.current) sendRawRef.current({ type: 'set_quality', quality: requestedRef.current });
      } else if (message.type === 'ice_candidate') serverViewer.handleCandidate(message.candidate);
      return;
    }
    const from = connectionKey(message.from);
    if (message.type === 'connection_established') {
      viewer.close();
      serverViewer.close();
      setLayer(null);
    } else if (message.type === 'offer' && from !== null && typeof message.sdp === 'string') {
      setOfferSeen(true);
      viewer.handleOffer(from, message.sdp);
    } else if (message.type === 'ice_candidate' && from !== null) viewer.handleCandidate(from, message.candidate);
    else if (message.type === 'quality') {
      const quality = parseQualityInfo(message);
      if (quality.layer !== null) setLayer(quality.layer);
    } else if (message.type === 'media_state') {
      // The server's sessions are gone when it is down or nobody publishes; a new offer follows when back.
      const media = parseMediaInfo(message);
      if (media.server !== 'up' || media.source === null) {
        serverViewer.close();
        setLayer(null);
      }
    }
  }, []);

  // Keyed by user too: logging in or out reconnects the socket with the new identity.
  const room = useLiveRoom(streamId, { enabled: user !== undefined, onSignal });
  const { state, send, sendRaw, sendComment, dismissNotice, dismissWarning, reconnectNow } = room;

  useEffect(() => {
    sendRawRef.current = sendRaw;
  }, [sendRaw]);

  useEffect(() => {
    const onMedia = (stream: MediaStream | null, phase: MediaPhase) => setMedia({ stream, phase });
    const viewer = new ViewerPeer(iceServers, { send: (message) => void sendRaw(message), onMedia });
    const serverViewer = new ServerViewer(iceServers, { send: (message) => void sendRaw(message), onMedia });
    serverViewer.setReporting(requestedRef.current === 'auto');
    viewerRef.current = viewer;
    serverViewerRef.current = serverViewer;
    return () => {
      viewer.close();
      serverViewer.dispose();
      viewerRef.current = null;
      serverViewerRef.current = null;
    };
  }, [iceServers, sendRaw]);

  // media_report only while on auto: with a fixed layer there is nothing for the server to decide.
  useEffect(() => {
    serverViewerRef.current?.setReporting(requested === 'auto');
  }, [requested]);

  const chooseQuality = (quality: QualityChoice) => {
    requestedRef.current = quality;
    setRequested(quality);
    sendRaw({ type: 'set_quality', quality });
  };

  useEffect(() => {
    const controller = new AbortController();
    getLiveStream(streamId, controller.signal)
      .then(setRestStream)
      .catch(() => {});
    return () => controller.abort();
  }, [streamId]);

  useEffect(() => {
    if (media.phase !== 'failed') return;
    const timer = setTimeout(() => reconnectNow(), mediaFailedReconnectMs);
    return () => clearTimeout(timer);
  }, [media.phase, reconnectNow]);

  const finished = state.finish;
  useEffect(() => {
    if (finished === null) return;
    viewerRef.current?.close();
    serverViewerRef.current?.close();
  }, [finished]);

  const stream = state.stream ?? restStream;
  usePageTitle(stream?.title ?? 'Watch');

  const watchState: WatchState =
    finished === 'not_found'
      ? 'not_found'
      : finished === 'kicked'
        ? 'kicked'
        : finished === 'ended' || stream?.status === 'ended'
          ? 'ended'
          : state.phase === 'reconnecting'
            ? 'lost'
            : state.phase !== 'open'
              ? 'connecting'
              : media.stream !== null || stream?.status === 'live' || offerSeen
                ? 'live'
                : 'waiting';

  const role = state.you?.role;
  const timedOutUntil = state.you?.timedOutUntil ?? null;
  const timedOut = timedOutUntil !== null && timedOutUntil > now;
  const closedReason: ChatPanelProps['closedReason'] =
    watchState === 'kicked'
      ? 'kicked'
      : watchState === 'ended' || watchState === 'not_found'
        ? 'ended'
        : role === 'guest' || (user === null && role === undefined)
        ? 'guest'
        : timedOut
          ? 'timed_out'
          : state.phase !== 'open'
            ? 'offline'
            : null;

  const alerts: AlertMessage[] = [];
  if (state.notice !== null) alerts.push({ id: 'notice', text: state.notice, onDismiss: dismissNotice });

  if (!Number.isInteger(streamId)) return <NotFound />;
  if (watchState === 'not_found') return <NotFound />;

  const liveSince = stream?.startedAt ?? null;
  const endedAt = state.endedAt ?? stream?.endedAt ?? null;

  return (
    <div className="page">
      <div className="page__head">
        <div>
          <h1 className="page__title" data-testid="watch-title">
            {stream?.title ?? 'Loading…'}
          </h1>
          <p className="muted">
            {stream ? <>by {stream.streamer.username}</> : null}
            {watchState === 'live' && liveSince !== null ? <> · live for {formatDuration(now - liveSince)}</> : null}
          </p>
        </div>
        <p className="status-line" role="status">
          <span className={`badge badge--inline ${watchState === 'live' ? 'badge--live' : 'badge--idle'}`} data-testid="watch-state" data-state={watchState}>
            {stateLabels[watchState]}
          </span>
          {state.viewersCount !== null && watchState !== 'ended' && watchState !== 'kicked' && (
            <span data-testid="viewer-count" data-count={state.viewersCount}>
              {viewersLabel(state.viewersCount)}
            </span>
          )}
        </p>
      </div>
      <ErrorAlert messages={alerts} />
      {state.warning !== null && watchState !== 'kicked' && (
        <div className="warning-banner" role="alert" data-testid="warned-banner">
          <span className="warning-banner__icon" aria-hidden="true">
            ⚠
          </span>
          <div className="warning-banner__text">
            <strong>{state.warning.by ? `${state.warning.by} warned you` : 'A moderator warned you'}</strong>
            {state.warning.reason !== null && <span data-testid="warned-reason">: {state.warning.reason}</span>}
            <span className="muted"> · Please follow the chat rules; further problems can get you timed out or removed.</span>
          </div>
          <button type="button" className="button button--secondary" data-testid="warned-dismiss" onClick={dismissWarning}>
            Got it
          </button>
        </div>
      )}
      <div className="live-layout">
        <div className="live-layout__main">
          <section className="card card--flush" aria-label="Video">
            <VideoStage
              watchState={watchState}
              media={media}
              mediaInfo={state.media}
              retryInMs={state.retryInMs}
              kicked={state.kicked}
              endedAt={endedAt}
              streamId={streamId}
              streamer={stream?.streamer.username ?? null}
              streamerAway={state.streamerAway !== null}
            />
            {state.media.mode === 'janus' && (watchState === 'live' || watchState === 'lost') && (
              <QualityBar requested={requested} layer={layer} onChoose={chooseQuality} />
            )}
          </section>
          {stream?.description ? <p className="description">{stream.description}</p> : null}
          {watchState === 'ended' && <RecordingPlayer streamId={streamId} title={stream?.title ?? null} />}
          {(watchState === 'ended' || stream?.status === 'ended') && (
            <p>
              <Link to={`/live/${streamId}/stats`} data-testid="stats-link">
                See the statistics of this stream
              </Link>
            </p>
          )}
        </div>
        <ChatPanel
          comments={state.comments}
          emotes={state.emotes}
          myRole={role}
          myName={state.you?.username ?? null}
          closedReason={closedReason}
          timedOutUntil={timedOutUntil}
          onSend={sendComment}
          timedOutReason={state.timeoutReason?.reason ?? null}
          onDelete={(commentId) => void send({ type: 'delete_comment', comment_id: commentId })}
          onWarn={(username, reason) => void send({ type: 'warn_user', username, reason })}
          onTimeout={(username, seconds, reason) => void send({ type: 'timeout_user', username, seconds, reason })}
          onKick={(username, reason) => void send({ type: 'kick_user', username, reason })}
        />
      </div>
    </div>
  );
}

const stateLabels: Record<WatchState, string> = {
  connecting: 'Connecting',
  waiting: 'Waiting',
  live: 'Live',
  ended: 'Ended',
  kicked: 'Removed',
  lost: 'Reconnecting',
  not_found: 'Not found',
};

function VideoStage({
  watchState,
  media,
  mediaInfo,
  retryInMs,
  kicked,
  endedAt,
  streamId,
  streamer,
  streamerAway,
}: {
  watchState: WatchState;
  media: { stream: MediaStream | null; phase: MediaPhase };
  mediaInfo: MediaInfo;
  retryInMs: number | null;
  kicked: { reason: string; until: number | null; by: string | null } | null;
  endedAt: number | null;
  streamId: number;
  streamer: string | null;
  /** In the publisher grace: the stream is live but its streamer's connection dropped. */
  streamerAway: boolean;
}) {
  const videoRef = useRef<HTMLVideoElement>(null);
  const [muted, setMuted] = useState(false);
  const [playError, setPlayError] = useState<string | null>(null);
  const showVideo = media.stream !== null && (watchState === 'live' || watchState === 'lost');

  useEffect(() => {
    const video = videoRef.current;
    if (video === null) return;
    if (video.srcObject !== media.stream) video.srcObject = media.stream;
    if (media.stream === null) return;
    video.play().catch((error: unknown) => {
      // Browsers refuse sound without a click first: play muted and offer to unmute.
      if (error instanceof DOMException && error.name === 'NotAllowedError') {
        setMuted(true);
        video.muted = true;
        video.play().catch((again: unknown) => setPlayError(errorMessage(again)));
      }
    });
  }, [media.stream, showVideo]);

  return (
    <div className="viewer__frame">
      <video
        ref={videoRef}
        className="live-video"
        data-testid="watch-video"
        autoPlay
        playsInline
        muted={muted}
        hidden={!showVideo}
        aria-label={streamer ? `Live video from ${streamer}` : 'Live video'}
      />
      {showVideo && muted && (
        <button
          type="button"
          className="button button--secondary video-unmute"
          onClick={() => {
            setMuted(false);
            if (videoRef.current) videoRef.current.muted = false;
          }}
        >
          Unmute
        </button>
      )}
      {showVideo && watchState === 'live' && streamerAway && (
        <div className="video-banner" role="status" data-testid="streamer-reconnecting">
          The streamer is reconnecting…
        </div>
      )}
      {showVideo && watchState === 'lost' && (
        <div className="video-banner" role="status">
          Connection lost. Reconnecting{retryInMs !== null ? ` in ${Math.ceil(retryInMs / 1000)} s` : '…'}
        </div>
      )}
      {!showVideo && (
        <div className="placeholder" data-testid="watch-placeholder">
          <Placeholder
            watchState={watchState}
            streamerAway={streamerAway}
            media={media}
            mediaInfo={mediaInfo}
            retryInMs={retryInMs}
            kicked={kicked}
            endedAt={endedAt}
            streamId={streamId}
          />
        </div>
      )}
      {playError && <p className="field__error">{playError}</p>}
    </div>
  );
}

function Placeholder({
  watchState,
  streamerAway,
  media,
  mediaInfo,
  retryInMs,
  kicked,
  endedAt,
  streamId,
}: {
  watchState: WatchState;
  streamerAway: boolean;
  media: { phase: MediaPhase };
  mediaInfo: MediaInfo;
  retryInMs: number | null;
  kicked: { reason: string; until: number | null; by: string | null } | null;
  endedAt: number | null;
  streamId: number;
}) {
  switch (watchState) {
    case 'ended':
      return (
        <>
          <p className="placeholder__title" data-testid="stream-ended">
            This stream has ended
          </p>
          <p className="placeholder__text">
            {endedAt !== null ? `It ended at ${formatClock(endedAt)}. ` : ''}
            <Link to={`/live/${streamId}/stats`}>See its statistics</Link> or <Link to="/">find another stream</Link>.
          </p>
        </>
      );
    case 'kicked':
      return (
        <>
          <p className="placeholder__title" data-testid="kicked-notice">
            You were removed from this stream
          </p>
          <p className="placeholder__text">
            {kicked?.by ? `${kicked.by} removed you` : 'A moderator removed you'}
            {kicked?.reason ? ` (${kicked.reason})` : ''}.{' '}
            {kicked?.until ? `You can come back after ${formatClock(kicked.until)}.` : ''}
          </p>
        </>
      );
    case 'lost':
      return (
        <>
          <span className="spinner" aria-hidden="true" />
          <p className="placeholder__title" data-testid="connection-lost">
            Connection lost
          </p>
          <p className="placeholder__text">Reconnecting{retryInMs !== null ? ` in ${Math.ceil(retryInMs / 1000)} s` : '…'}</p>
        </>
      );
    case 'waiting':
      return (
        <>
          <p className="placeholder__title" data-testid="stream-waiting">
            Waiting for the streamer
          </p>
          <p className="placeholder__text">The video starts here as soon as they go live. Chat is open.</p>
        </>
      );
    case 'live': {
      if (streamerAway) {
        return (
          <>
            <span className="spinner" aria-hidden="true" />
            <p className="placeholder__title" data-testid="streamer-reconnecting">
              The streamer is reconnecting…
            </p>
            <p className="placeholder__text">Their connection dropped. The video comes back here by itself; no need to reload.</p>
          </>
        );
      }
      const janus = mediaInfo.mode === 'janus';
      if (janus && mediaInfo.server !== 'up') {
        return (
          <>
            <span className="spinner" aria-hidden="true" />
            <p className="placeholder__title" data-testid="media-server-down">
              The media server is unavailable — reconnecting…
            </p>
            <p className="placeholder__text">The video comes back here by itself; no need to reload.</p>
          </>
        );
      }
      if (janus && mediaInfo.source === null && media.phase === 'none') {
        return (
          <>
            <span className="spinner" aria-hidden="true" />
            <p className="placeholder__title" data-testid="waiting-for-video">
              {"Waiting for the streamer's video…"}
            </p>
            <p className="placeholder__text">The stream is live; the picture starts as soon as the streamer sends it. Chat is open.</p>
          </>
        );
      }
      return (
        <>
          <span className="spinner" aria-hidden="true" />
          <p className="placeholder__title">{media.phase === 'failed' ? 'Could not connect the video' : 'Connecting the video…'}</p>
          <p className="placeholder__text">
            {media.phase === 'failed'
              ? `Retrying. A firewall or VPN can block ${janus ? 'the video connection' : 'peer-to-peer video'}.`
              : 'This takes a second or two.'}
          </p>
        </>
      );
    }
    default:
      return (
        <>
          <span className="spinner" aria-hidden="true" />
          <p className="placeholder__title">Connecting…</p>
        </>
      );
  }
}

function NotFound() {
  return (
    <div className="page">
      <h1 className="page__title">Stream not found</h1>
      <p className="muted">
        There is no stream at this address. <Link to="/">See who is live</Link>.
      </p>
    </div>
  );
}

