import { streamEndpoints, tileFeedUrl, webSocketFeedUrl } from '../../api/stream';

// The view above uses tile mode; whole JPEG frames are published on three more endpoints, for pages and
// programs other than this one.
export function OtherOutputs() {
  return (
    <section className="card outputs" aria-labelledby="outputs-heading">
      <h2 id="outputs-heading" className="card__title">
        Other ways to watch
      </h2>
      <p className="muted">
        The view above uses tile mode: <code>{tileFeedUrl(null)}</code> sends a whole picture first, then only the parts
        of the screen that changed, as JPEG tiles. The same screen is also published as whole JPEG frames, each sent
        when something changed. Add <code>max_kbps=N</code> to any of these addresses to cap what one viewer receives.
      </p>
      <ul className="outputs__list">
        <li>
          <a href={streamEndpoints.feed} target="_blank" rel="noopener noreferrer">
            {streamEndpoints.feed}
          </a>{' '}
          — Server-Sent Events, one base64 JPEG per event.
        </li>
        <li>
          <a href={streamEndpoints.mjpeg} target="_blank" rel="noopener noreferrer">
            {streamEndpoints.mjpeg}
          </a>{' '}
          — Motion JPEG. Works directly as an image source: <code>{`<img src="${streamEndpoints.mjpeg}">`}</code>
        </li>
        <li>
          <a href={streamEndpoints.ws} target="_blank" rel="noopener noreferrer">
            {streamEndpoints.ws}
          </a>{' '}
          — WebSocket with one binary message per JPEG frame: <code>{webSocketFeedUrl()}</code>
        </li>
      </ul>
    </section>
  );
}
