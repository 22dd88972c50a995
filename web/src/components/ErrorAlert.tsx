export interface AlertMessage {
  id: string;
  text: string;
  onDismiss?: () => void;
}

// Visible error area. Messages are plain text (never HTML): they often come from the server.
export function ErrorAlert({ messages }: { messages: AlertMessage[] }) {
  return (
    <div aria-live="assertive">
      {messages.length > 0 && (
        <div className="alert" role="alert" data-testid="error-alert">
          <ul className="alert__list">
            {messages.map((message) => (
              <li key={message.id} className="alert__item">
                <span className="alert__icon" aria-hidden="true">
                  !
                </span>
                <span className="alert__text">{message.text}</span>
                {message.onDismiss && (
                  <button type="button" className="alert__dismiss" onClick={message.onDismiss} aria-label="Dismiss message">
                    ×
                  </button>
                )}
              </li>
            ))}
          </ul>
        </div>
      )}
    </div>
  );
}
