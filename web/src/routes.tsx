import type { ReactElement } from 'react';
import { AuthPage } from './pages/auth/AuthPage';
import { HomePage } from './pages/home/HomePage';
import { NewStreamPage } from './pages/home/NewStreamPage';
import { ScreenPage } from './pages/screen/ScreenPage';
import { StatsPage } from './pages/stats/StatsPage';
import { StudioPage } from './pages/studio/StudioPage';
import { WatchPage } from './pages/watch/WatchPage';

// One entry per page. The router and the header navigation are both built from this table: entries with a
// `label` appear in the navigation.
export interface PageRoute {
  path: string;
  label?: string;
  /** Only shown in the navigation to a signed-in user. */
  signedIn?: boolean;
  element: ReactElement;
}

export const pageRoutes: PageRoute[] = [
  { path: '/', label: 'Live', element: <HomePage /> },
  { path: '/new', label: 'Go live', signedIn: true, element: <NewStreamPage /> },
  { path: '/screen', label: 'Screen', element: <ScreenPage /> },
  { path: '/login', element: <AuthPage mode="login" key="login" /> },
  { path: '/signup', element: <AuthPage mode="signup" key="signup" /> },
  { path: '/live/:id', element: <WatchPage /> },
  { path: '/live/:id/stats', element: <StatsPage /> },
  { path: '/studio/:id', element: <StudioPage /> },
];

export const defaultPath = '/';
