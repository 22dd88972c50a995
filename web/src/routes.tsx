import type { ReactElement } from 'react';
import { ScreenPage } from './pages/screen/ScreenPage';

// One entry per page. The header navigation and the router are both built from this table, so a new page
// (streams, studio, watch, statistics) is one line here plus its folder under pages/.
export interface PageRoute {
  path: string;
  label: string;
  element: ReactElement;
}

export const pageRoutes: PageRoute[] = [{ path: '/screen', label: 'Screen', element: <ScreenPage /> }];

export const defaultPath = '/screen';
