import type { ReactNode } from 'react';
import { Link, useLocation } from 'react-router-dom';
import { useAuth } from '../hooks/useAuth';

// Shows `children` to a signed-in user, a log-in prompt to a guest, and nothing while that is unknown.
export function RequireUser({ children, what }: { children: ReactNode; what: string }) {
  const { user } = useAuth();
  const location = useLocation();
  if (user === undefined) return <p className="muted">Checking your account…</p>;
  if (user === null) {
    const next = encodeURIComponent(`${location.pathname}${location.search}`);
    return (
      <div className="card" data-testid="login-required">
        <p>
          <Link to={`/login?next=${next}`}>Log in</Link> or <Link to={`/signup?next=${next}`}>sign up</Link> to {what}.
        </p>
      </div>
    );
  }
  return <>{children}</>;
}
