import { useEffect, useState } from 'react';
import { ApiError, errorMessage } from '../../api/http';
import { absoluteWhipUrl, createStreamKey, defaultWhipPath, getStreamKey, type NewStreamKey, type StreamKeyInfo } from '../../api/streamKey';
import { formatDateTime } from '../../live/format';
import type { MediaMode } from '../../live/mediaMode';
import '../../live/serverMedia.css';

// The studio's stream key for WHIP encoders (OBS 30+ and others): the WHIP URL, whether a key exists, and
// "New stream key", which shows the new key once. WHIP needs janus mode; the server answers 409 otherwise,
// and its message is shown. Streamer only (the studio is).
export function StreamKeyPanel({
  streamId,
  mode,
  ended,
}: {
  streamId: number;
  /** From the room once connected; null before (the key request tells then). */
  mode: MediaMode | null;
  ended: boolean;
}) {
  const [info, setInfo] = useState<StreamKeyInfo | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  // The server's 409: this server sends media peer-to-peer, WHIP is not available.
  const [refusal, setRefusal] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<NewStreamKey | null>(null);
  const [createError, setCreateError] = useState<string | null>(null);
  const [copyState, setCopyState] = useState<'idle' | 'copied' | 'failed'>('idle');

  useEffect(() => {
    const controller = new AbortController();
    getStreamKey(streamId, controller.signal)
      .then((loaded) => {
        setInfo(loaded);
        setLoadError(null);
      })
      .catch((error: unknown) => {
        if (controller.signal.aborted) return;
        if (error instanceof ApiError && error.status === 409) setRefusal(error.message);
        else setLoadError(`Could not read the stream key: ${errorMessage(error)}`);
      });
    return () => controller.abort();
  }, [streamId]);

  const p2p = mode === 'p2p' || (mode !== 'janus' && refusal !== null);
  const whipUrl = absoluteWhipUrl(created?.whipUrl ?? info?.whipUrl ?? defaultWhipPath(streamId));

  const makeKey = async () => {
    if (info?.hasKey && !window.confirm('Make a new stream key? The current key stops working, and an encoder using it must be updated.')) return;
    setCreating(true);
    setCreateError(null);
    setCopyState('idle');
    try {
      const next = await createStreamKey(streamId);
      setCreated(next);
      setInfo({ hasKey: true, whipUrl: next.whipUrl, createdAt: next.createdAt });
    } catch (error) {
      // A 409 says why (peer-to-peer mode, or the stream has ended) in words meant for people.
      setCreateError(errorMessage(error));
    } finally {
      setCreating(false);
    }
  };

  const copyKey = async () => {
    if (created === null) return;
    try {
      await navigator.clipboard.writeText(created.streamKey);
      setCopyState('copied');
    } catch {
      setCopyState('failed');
    }
  };

  return (
    <section className="card" aria-labelledby="stream-key-heading" data-testid="stream-key-panel" data-mode={p2p ? 'p2p' : (mode ?? 'unknown')}>
      <h2 id="stream-key-heading" className="card__title">
        Stream from an encoder (WHIP)
      </h2>
      {p2p ? (
        <p className="muted" data-testid="whip-unavailable">
          WHIP needs the server to run with <code>--media janus</code>: this server sends video peer-to-peer, from your browser to each viewer, so an
          encoder cannot publish to it.
          {refusal !== null && <> The server says: “{refusal}”</>}
        </p>
      ) : (
        <p className="muted">
          An encoder such as OBS 30+ can publish this stream instead of this page: Settings → Stream → Service <strong>WHIP</strong>, Server = the URL
          below, Bearer Token = your stream key.
        </p>
      )}
      <dl className="key-facts">
        <div>
          <dt>WHIP URL</dt>
          <dd>
            <code className="selectable" data-testid="whip-url">
              {whipUrl}
            </code>
          </dd>
        </div>
        <div>
          <dt>Stream key</dt>
          <dd data-testid="stream-key-status" data-has-key={info === null ? 'unknown' : String(info.hasKey)}>
            {info === null
              ? p2p
                ? 'Not available in peer-to-peer mode'
                : 'Checking…'
              : info.hasKey
                ? `Set${info.createdAt !== null ? ` (made ${formatDateTime(info.createdAt)})` : ''}. It is stored hashed and cannot be shown again.`
                : 'None yet'}
          </dd>
        </div>
      </dl>
      {loadError !== null && <p className="field__error">{loadError}</p>}
      {created !== null && (
        <div className="new-key" role="status">
          <p className="new-key__title">Your new stream key — shown only this once, copy it now:</p>
          <div className="new-key__row">
            <code className="selectable new-key__value" data-testid="stream-key">
              {created.streamKey}
            </code>
            <button type="button" className="button button--secondary button--small" data-testid="copy-stream-key" onClick={() => void copyKey()}>
              {copyState === 'copied' ? 'Copied' : 'Copy'}
            </button>
          </div>
          {copyState === 'failed' && <p className="field__hint">The browser did not allow copying: select the key and copy it yourself.</p>}
          <p className="field__hint" data-testid="old-key-note">
            Any older key of this stream stopped working: encoders that used it must be given this one.
          </p>
          <button type="button" className="link-button" onClick={() => setCreated(null)}>
            Hide the key
          </button>
        </div>
      )}
      {createError !== null && (
        <p className="field__error" role="alert" data-testid="stream-key-error">
          {createError}
        </p>
      )}
      <div className="key-actions">
        <button
          type="button"
          className="button button--secondary"
          data-testid="new-stream-key"
          disabled={creating || ended}
          onClick={() => void makeKey()}
        >
          {creating ? 'Making a key…' : 'New stream key'}
        </button>
        {!ended && <span className="field__hint">A new key replaces the old one.</span>}
      </div>
    </section>
  );
}
