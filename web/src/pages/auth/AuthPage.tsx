import { useState, type FormEvent } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router-dom';
import { login, register, usernamePattern } from '../../api/auth';
import { ApiError, errorMessage } from '../../api/http';
import { ErrorAlert } from '../../components/ErrorAlert';
import { useAuth } from '../../hooks/useAuth';
import { usePageTitle } from '../../hooks/usePageTitle';

type Mode = 'login' | 'signup';

// Log in and sign up share one form. After success the user goes back to ?next= (a local path) or home.
export function AuthPage({ mode }: { mode: Mode }) {
  const signup = mode === 'signup';
  usePageTitle(signup ? 'Sign up' : 'Log in');
  const { setUser } = useAuth();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const next = safeNext(params.get('next'));
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [checked, setChecked] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const usernameError = !signup
    ? username === '' ? 'Enter your username.' : null
    : usernamePattern.test(username) ? null : 'Use 3 to 30 letters, digits, “_” or “-”.';
  const passwordBytes = new TextEncoder().encode(password).length;
  const passwordError = !signup
    ? password === '' ? 'Enter your password.' : null
    : passwordBytes < 8 ? 'Use at least 8 characters.' : passwordBytes > 128 ? 'Use at most 128 bytes.' : null;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setChecked(true);
    if (usernameError !== null || passwordError !== null) return;
    setBusy(true);
    setError(null);
    try {
      const user = signup ? await register(username, password) : await login(username, password);
      setUser(user);
      void navigate(next, { replace: true });
    } catch (failure) {
      setError(describe(failure, signup));
    } finally {
      setBusy(false);
    }
  };

  const other = signup ? '/login' : '/signup';
  const otherSearch = next === '/' ? '' : `?next=${encodeURIComponent(next)}`;
  return (
    <div className="page page--narrow">
      <h1 className="page__title">{signup ? 'Create your account' : 'Log in'}</h1>
      <p className="muted">
        {signup ? 'An account lets you go live, comment and moderate.' : 'Welcome back.'}{' '}
        {signup ? 'Already have one? ' : 'New here? '}
        <Link to={`${other}${otherSearch}`}>{signup ? 'Log in' : 'Sign up'}</Link>
      </p>
      <ErrorAlert messages={error === null ? [] : [{ id: 'auth', text: error, onDismiss: () => setError(null) }]} />
      <form className="card form" onSubmit={(event) => void submit(event)} noValidate data-testid={`${mode}-form`}>
        <div className={`field ${checked && usernameError ? 'field--invalid' : ''}`}>
          <label className="field__label" htmlFor="auth-username">
            Username
          </label>
          <input
            id="auth-username"
            className="input"
            data-testid="auth-username"
            autoComplete="username"
            value={username}
            onChange={(e) => setUsername(e.target.value)}
            aria-invalid={checked && usernameError !== null}
            aria-describedby={checked && usernameError ? 'auth-username-error' : undefined}
          />
          {checked && usernameError && (
            <p className="field__error" id="auth-username-error">
              {usernameError}
            </p>
          )}
        </div>
        <div className={`field ${checked && passwordError ? 'field--invalid' : ''}`}>
          <label className="field__label" htmlFor="auth-password">
            Password
          </label>
          <input
            id="auth-password"
            className="input"
            type="password"
            data-testid="auth-password"
            autoComplete={signup ? 'new-password' : 'current-password'}
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            aria-invalid={checked && passwordError !== null}
            aria-describedby={checked && passwordError ? 'auth-password-error' : undefined}
          />
          {checked && passwordError && (
            <p className="field__error" id="auth-password-error">
              {passwordError}
            </p>
          )}
        </div>
        <button type="submit" className="button button--primary" disabled={busy} data-testid="auth-submit">
          {busy ? 'Please wait…' : signup ? 'Sign up' : 'Log in'}
        </button>
      </form>
    </div>
  );
}

function describe(error: unknown, signup: boolean): string {
  if (error instanceof ApiError) {
    if (error.status === 409) return 'That username is taken. Choose another one.';
    if (error.status === 401) return 'Wrong username or password.';
    if (error.status === 429) return 'Too many attempts. Wait a minute and try again.';
    if (error.status === 0) return `${error.message} Check your connection and try again.`;
    return `Could not ${signup ? 'sign up' : 'log in'}: ${error.message}`;
  }
  return errorMessage(error);
}

/** Only local paths, never another site (an open redirect). */
function safeNext(raw: string | null): string {
  if (raw === null || !raw.startsWith('/') || raw.startsWith('//')) return '/';
  return raw;
}
