import { Route, Routes } from 'react-router-dom';
import { AppShell } from './components/AppShell';
import { AuthProvider } from './components/AuthProvider';
import { NotFoundPage } from './pages/NotFoundPage';
import { pageRoutes } from './routes';

export function App() {
  return (
    <AuthProvider>
      <Routes>
        <Route element={<AppShell />}>
          {pageRoutes.map((route) => (
            <Route key={route.path} path={route.path} element={route.element} />
          ))}
          <Route path="*" element={<NotFoundPage />} />
        </Route>
      </Routes>
    </AuthProvider>
  );
}
