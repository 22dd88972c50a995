import type { MediaInfo } from '../../live/mediaMode';
import type { PublishState, PublishStatus } from '../../live/serverPublisher';
import '../../live/serverMedia.css';

// How the studio's video reaches viewers: directly from this browser (p2p) or through the media server
// (janus), and in janus mode whether the media server is up, what this page's upload is doing, and who
// publishes (this page or a WHIP encoder), with the actions that make sense in each case.
export function MediaStatus({
  media,
  publish,
  onTakeOver,
  onRetry,
}: {
  media: MediaInfo;
  publish: PublishStatus;
  onTakeOver: () => void;
  onRetry: () => void;
}) {
  const janus = media.mode === 'janus';
  return (
    <div className="media-status">
      <p className="muted">
        Delivery:{' '}
        <span data-testid="media-delivery" data-mode={media.mode}>
          {janus ? 'Via the server (SFU): you upload one copy' : 'Direct (peer-to-peer): each viewer gets a copy from your browser'}
        </span>
      </p>
      {janus && (
        <>
          <dl className="viewer__stats">
            <div className="stat">
              <dt>Media server</dt>
              <dd data-testid="media-server-state" data-state={media.server ?? 'down'}>
                {media.server === 'up' ? 'up' : 'down'}
              </dd>
            </div>
            <div className="stat">
              <dt>Upload</dt>
              <dd data-testid="publish-state" data-state={publish.state}>
                {publishLabel(publish)}
              </dd>
            </div>
          </dl>
          {publish.state === 'server_down' && (
            <div className="media-note media-note--problem" role="status" data-testid="media-server-down">
              The media server is down: viewers have no video right now. This page publishes again by itself as soon as it is back.
            </div>
          )}
          {publish.state === 'whip' && (
            <div className="media-note" role="status" data-testid="whip-publishing">
              An encoder (WHIP) is publishing this stream. Viewers see its video; this page sends nothing.
              <div>
                <button type="button" className="button button--secondary button--small" data-testid="publish-here" onClick={onTakeOver}>
                  Publish from this browser instead
                </button>
              </div>
            </div>
          )}
          {publish.state === 'retrying' && publish.problem !== null && (
            <div className="media-note media-note--problem" role="status" data-testid="publish-retrying">
              {publish.problem} Trying again{publish.retryInMs !== null ? ` in ${Math.ceil(publish.retryInMs / 1000)} s` : ''}.
            </div>
          )}
          {publish.state === 'failed' && (
            <div className="media-note media-note--problem" role="alert" data-testid="publish-failed">
              {publish.problem ?? 'Could not send your video to the media server.'} Several tries failed; viewers have no video.
              <div>
                <button type="button" className="button button--secondary button--small" data-testid="republish" onClick={onRetry}>
                  Try again
                </button>
              </div>
            </div>
          )}
        </>
      )}
    </div>
  );
}

const publishLabels: Record<PublishState, string> = {
  off: '–',
  offline: 'waiting for the connection',
  server_down: 'stopped: media server down',
  whip: 'not sending: an encoder publishes',
  connecting: 'connecting…',
  connected: 'sending',
  retrying: 'retrying',
  failed: 'failed',
};

function publishLabel(status: PublishStatus): string {
  if (status.state === 'retrying' && status.retryInMs !== null) return `retrying in ${Math.ceil(status.retryInMs / 1000)} s`;
  return publishLabels[status.state];
}
