import { Link } from 'react-router-dom';
import { usePageTitle } from '../hooks/usePageTitle';
import { defaultPath } from '../routes';

export function NotFoundPage() {
  usePageTitle('Not found');
  return (
    <div className="page">
      <h1 className="page__title">Page not found</h1>
      <p className="muted">
        There is nothing here. <Link to={defaultPath}>See who is live</Link>.
      </p>
    </div>
  );
}
