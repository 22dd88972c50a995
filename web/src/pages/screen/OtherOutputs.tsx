import { streamEndpoints, webSocketFeedUrl } from '../../api/stream';

// The same JPEG frames are published on two more endpoints, for pages and programs other than this one.
export function OtherOutputs() {
  return (
    <section className="card outputs" aria-labelledby="outputs-heading">
      <h2 id="outputs-heading" className="card__title">
        Other ways to watch
      </h2>
      <p className="muted">The frames shown above are also published, unchanged, on two more endpoints.</p>
      <ul className="outputs__list">
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
