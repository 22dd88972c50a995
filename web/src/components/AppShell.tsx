import { NavLink, Outlet } from 'react-router-dom';
import { pageRoutes } from '../routes';

// The frame every page renders in: skip link, header with product name and navigation, main landmark.
export function AppShell() {
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
              {pageRoutes.map((route) => (
                <li key={route.path}>
                  <NavLink to={route.path} className="nav__link">
                    {route.label}
                  </NavLink>
                </li>
              ))}
            </ul>
          </nav>
        </div>
      </header>
      <main id="main" className="app-main" tabIndex={-1}>
        <Outlet />
      </main>
    </div>
  );
}
