import { lazy, Suspense } from 'react';

// The player is loaded only on a finished stream's pages (keeps the main bundle small).
const Player = lazy(() => import('./RecordingPlayer').then((module) => ({ default: module.RecordingPlayer })));

export function LazyRecordingPlayer(props: { streamId: number; title: string | null }) {
  return (
    <Suspense fallback={null}>
      <Player {...props} />
    </Suspense>
  );
}
