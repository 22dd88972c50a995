import { useState } from 'react';
import { Link, NavLink, Outlet, useLocation, useNavigate } from 'react-router-dom';
import { errorMessage } from '../api/http';
import { useAuth } from '../hooks/useAuth';
import { pageRoutes } from '../routes';

// The frame every page renders in: skip link, header with product name, navigation and account, main landmark.
export function AppShell() {
  const { user } = useAuth();
  const navItems = pageRoutes.filter((route) => route.label !== undefined && (!route.signedIn || user));
  return (
    <div className="app">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="app-header">
        <div className="app-header__inner">
          <NavLink to="/" className="brand" aria-label="redred home">
            <span className="brand__mark" aria-hidden="true" />
            <span className="brand__name">redred</span>
          </NavLink>
          <nav aria-label="Main">
            <ul className="nav">
              {navItems.map((route) => (
                <li key={route.path}>
                  <NavLink to={route.path} end={route.path === '/'} className="nav__link">
                    {route.label}
                  </NavLink>
                </li>
              ))}
            </ul>
          </nav>
          <AccountMenu />
        </div>
      </header>
      <main id="main" className="app-main" tabIndex={-1}>
        <Outlet />
      </main>
    </div>
  );
}

function AccountMenu() {
  const { user, logOut } = useAuth();
  const location = useLocation();
  const navigate = useNavigate();
  const [error, setError] = useState<string | null>(null);
  if (user === undefined) return <div className="account" aria-hidden="true" />;
  if (user === null) {
    const here = `${location.pathname}${location.search}`;
    const next = here === '/' || here.startsWith('/login') || here.startsWith('/signup') ? '' : `?next=${encodeURIComponent(here)}`;
    return (
      <div className="account">
        <Link className="nav__link" to={`/login${next}`} data-testid="login-link">
          Log in
        </Link>
        <Link className="button button--primary button--small" to={`/signup${next}`} data-testid="signup-link">
          Sign up
        </Link>
      </div>
    );
  }
  return (
    <div className="account">
      <span className="account__name" data-testid="account-name" title={`Signed in as ${user.username}`}>
        {user.username}
      </span>
      <button
        type="button"
        className="button button--secondary button--small"
        data-testid="logout-button"
        onClick={() => {
          setError(null);
          logOut()
            .then(() => navigate('/'))
            .catch((failure: unknown) => setError(`Could not log out: ${errorMessage(failure)}`));
        }}
      >
        Log out
      </button>
      {error !== null && (
        <span className="account__error" role="alert">
          {error}
        </span>
      )}
    </div>
  );
}
