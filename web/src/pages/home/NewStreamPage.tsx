import { useState, type FormEvent } from 'react';
import { useNavigate } from 'react-router-dom';
import { ApiError, errorMessage } from '../../api/http';
import { createLiveStream, descriptionMaxLength, titleMaxLength } from '../../api/live';
import { ErrorAlert } from '../../components/ErrorAlert';
import { RequireUser } from '../../components/RequireUser';
import { usePageTitle } from '../../hooks/usePageTitle';

// Create a stream (title, description); it starts in `waiting` and the studio makes it live.
export function NewStreamPage() {
  usePageTitle('Start a stream');
  return (
    <div className="page page--narrow">
      <h1 className="page__title">Start a stream</h1>
      <p className="muted">Give it a title; you choose your camera or screen in the studio before going live.</p>
      <RequireUser what="start a stream">
        <NewStreamForm />
      </RequireUser>
    </div>
  );
}

function NewStreamForm() {
  const navigate = useNavigate();
  const [title, setTitle] = useState('');
  const [description, setDescription] = useState('');
  const [checked, setChecked] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const titleError = title.trim() === '' ? 'Give your stream a title.' : null;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setChecked(true);
    if (titleError !== null) return;
    setBusy(true);
    setError(null);
    try {
      const stream = await createLiveStream(title.trim(), description.trim());
      void navigate(`/studio/${stream.id}`);
    } catch (failure) {
      setError(failure instanceof ApiError ? `Could not create the stream: ${failure.message}` : errorMessage(failure));
      setBusy(false);
    }
  };

  return (
    <>
      <ErrorAlert messages={error === null ? [] : [{ id: 'create', text: error, onDismiss: () => setError(null) }]} />
      <form className="card form" onSubmit={(event) => void submit(event)} noValidate>
        <div className={`field ${checked && titleError ? 'field--invalid' : ''}`}>
          <label className="field__label" htmlFor="stream-title">
            Title
          </label>
          <input
            id="stream-title"
            className="input"
            data-testid="stream-title"
            value={title}
            maxLength={titleMaxLength}
            onChange={(e) => setTitle(e.target.value)}
            aria-invalid={checked && titleError !== null}
          />
          {checked && titleError && <p className="field__error">{titleError}</p>}
        </div>
        <div className="field">
          <label className="field__label" htmlFor="stream-description">
            Description <span className="muted">(optional)</span>
          </label>
          <textarea
            id="stream-description"
            className="input"
            data-testid="stream-description"
            rows={4}
            value={description}
            maxLength={descriptionMaxLength}
            onChange={(e) => setDescription(e.target.value)}
          />
        </div>
        <button type="submit" className="button button--primary" disabled={busy} data-testid="create-stream">
          {busy ? 'Creating…' : 'Create and open the studio'}
        </button>
      </form>
    </>
  );
}
