import { useCallback, useEffect, useMemo, useState } from 'react';
import { getModerationLog, type ModerationEntry, type ModerationPage } from '../../api/live';
import { formatClock, formatDuration } from '../../live/format';

export interface ModerationLogProps {
  streamId: number;
  /** Entries received live over the stream WebSocket (`moderation_action`), newest first. */
  live: ModerationEntry[];
}

const pageSize = 20;

// The stream's moderation log: the newest page over REST when shown, then every new action live from the
// WebSocket; older pages on demand. Newest first; entries are keyed by id, so a live entry that is also in a
// page shows once.
export function ModerationLog({ streamId, live }: ModerationLogProps) {
  const [loaded, setLoaded] = useState<ModerationEntry[]>([]);
  const [count, setCount] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);

  const apply = useCallback((offset: number, page: ModerationPage) => {
    setLoaded((old) => (offset === 0 ? page.results : [...old, ...page.results]));
    setCount(page.count);
    setError(null);
    setLoading(false);
  }, []);
  const fail = useCallback((failure: unknown) => {
    setError(failure instanceof Error ? failure.message : String(failure));
    setLoading(false);
  }, []);

  useEffect(() => {
    const abort = new AbortController();
    getModerationLog(streamId, pageSize, 0, abort.signal).then(
      (page) => apply(0, page),
      (failure: unknown) => {
        if (!abort.signal.aborted) fail(failure);
      },
    );
    return () => abort.abort();
  }, [streamId, apply, fail]);

  const loadOlder = (offset: number) => {
    setLoading(true);
    getModerationLog(streamId, pageSize, offset).then((page) => apply(offset, page), fail);
  };

  const entries = useMemo(() => {
    const seen = new Set<number>();
    const all: ModerationEntry[] = [];
    for (const entry of [...live, ...loaded]) {
      if (seen.has(entry.id)) continue;
      seen.add(entry.id);
      all.push(entry);
    }
    return all.sort((a, b) => b.createdAt - a.createdAt || b.id - a.id);
  }, [live, loaded]);
  const total = count === null ? null : Math.max(count, entries.length);

  return (
    <div data-testid="moderation-log">
      {error !== null && (
        <p className="field__error" role="alert">
          Could not load the moderation log: {error}
        </p>
      )}
      {entries.length === 0 ? (
        <p className="muted" data-testid="moderation-log-empty">
          {loading ? 'Loading…' : 'No moderation actions yet. Warnings, deletions, timeouts, kicks and role changes show here.'}
        </p>
      ) : (
        <ol className="moderation-log" aria-label="Moderation actions, newest first">
          {entries.map((entry) => (
            <li key={entry.id} className="moderation-log__entry" data-testid="moderation-entry" data-action={entry.action}>
              <time className="comment__time" dateTime={new Date(entry.createdAt * 1000).toISOString()}>
                {formatClock(entry.createdAt)}
              </time>{' '}
              <span className="moderation-log__text">{describe(entry)}</span>
              {entry.reason !== null && <span className="moderation-log__reason"> — “{entry.reason}”</span>}
            </li>
          ))}
        </ol>
      )}
      {total !== null && entries.length < total && (
        <button type="button" className="link-button" disabled={loading} onClick={() => loadOlder(entries.length)}>
          Show older
        </button>
      )}
    </div>
  );
}

function describe(e: ModerationEntry): string {
  switch (e.action) {
    case 'warn':
      return `${e.by} warned ${e.username}`;
    case 'delete_comment':
      return e.by === e.username ? `${e.by} deleted their own comment` : `${e.by} deleted a comment by ${e.username}`;
    case 'timeout':
      return `${e.by} timed out ${e.username}${e.seconds !== null ? ` for ${formatDuration(e.seconds)}` : ''}`;
    case 'kick':
      return `${e.by} kicked ${e.username}`;
    case 'add_moderator':
      return `${e.by} made ${e.username} a moderator`;
    case 'remove_moderator':
      return `${e.by} removed ${e.username} as moderator`;
    case 'add_vip':
      return `${e.by} made ${e.username} a VIP`;
    case 'remove_vip':
      return `${e.by} removed ${e.username}'s VIP status`;
    default:
      return `${e.by}: ${String(e.action)} ${e.username}`;
  }
}
