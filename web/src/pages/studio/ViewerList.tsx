import { useState } from 'react';
import { reasonMaxLength, type Role } from '../../api/live';
import { roleLabels, timeoutChoices } from '../../live/permissions';
import type { Viewer } from '../../live/useLiveRoom';

export interface ViewerListProps {
  viewers: Viewer[] | null;
  count: number | null;
  roles: { moderators: string[]; vips: string[] };
  onRefresh: () => void;
  onAction: (message: Record<string, unknown>) => void;
}

// Who is watching, with role badges and the streamer's actions. Guests have no name, so no actions. Warnings,
// timeouts and kicks carry the reason typed above the list (optional), shown to the user concerned.
export function ViewerList({ viewers, count, roles, onRefresh, onAction }: ViewerListProps) {
  const [reason, setReason] = useState('');
  const act = (message: Record<string, unknown>) => {
    const text = reason.trim();
    const sanction = message.type === 'warn_user' || message.type === 'timeout_user' || message.type === 'kick_user';
    if (sanction && text !== '') {
      onAction({ ...message, reason: text });
      setReason('');
    } else {
      onAction(message);
    }
  };
  return (
    <section className="card" aria-labelledby="viewers-heading">
      <div className="card__head">
        <h2 id="viewers-heading" className="card__title">
          Viewers {count !== null ? `(${count})` : ''}
        </h2>
        <button type="button" className="link-button" onClick={onRefresh}>
          Refresh
        </button>
      </div>
      <label className="field">
        <span className="visually-hidden">Reason for a warning, timeout or kick (optional)</span>
        <input
          className="input input--small"
          data-testid="viewer-reason"
          value={reason}
          maxLength={reasonMaxLength}
          placeholder="Reason for warn / time out / kick (optional)"
          autoComplete="off"
          onChange={(event) => setReason(event.target.value)}
        />
      </label>
      {viewers === null ? (
        <p className="muted">Loading…</p>
      ) : viewers.length === 0 ? (
        <p className="muted" data-testid="viewer-list-empty">
          Nobody is watching yet. Share the viewer page link.
        </p>
      ) : (
        <ul className="viewer-list" data-testid="viewer-list">
          {viewers.map((viewer, index) => (
            <ViewerRow key={viewer.userId ?? `guest-${index}`} viewer={viewer} roles={roles} onAction={act} />
          ))}
        </ul>
      )}
    </section>
  );
}

function ViewerRow({ viewer, roles, onAction }: { viewer: Viewer; roles: ViewerListProps['roles']; onAction: ViewerListProps['onAction'] }) {
  const name = viewer.username;
  const role: Role = name !== null && roles.moderators.includes(name) ? 'moderator' : name !== null && roles.vips.includes(name) ? 'vip' : viewer.role;
  return (
    <li className="viewer-row" data-testid="viewer-row" data-username={name ?? ''}>
      <div className="viewer-row__who">
        <span className="viewer-row__name">{name ?? 'Guest'}</span>
        {role !== 'viewer' && <span className={`role-badge role-badge--${role}`}>{roleLabels[role]}</span>}
        {viewer.connections > 1 && <span className="muted"> · {viewer.connections} tabs</span>}
      </div>
      {name !== null && role !== 'streamer' && role !== 'guest' && (
        <div className="viewer-row__actions" role="group" aria-label={`Actions for ${name}`}>
          {role === 'moderator' ? (
            <button type="button" className="link-button" onClick={() => onAction({ type: 'remove_moderator', username: name })}>
              Remove mod
            </button>
          ) : (
            <button type="button" className="link-button" data-testid="make-moderator" onClick={() => onAction({ type: 'add_moderator', username: name })}>
              Make mod
            </button>
          )}
          {role === 'vip' ? (
            <button type="button" className="link-button" onClick={() => onAction({ type: 'remove_vip', username: name })}>
              Remove VIP
            </button>
          ) : (
            role !== 'moderator' && (
              <button type="button" className="link-button" data-testid="make-vip" onClick={() => onAction({ type: 'add_vip', username: name })}>
                Make VIP
              </button>
            )
          )}
          <button type="button" className="link-button" data-testid="viewer-warn" onClick={() => onAction({ type: 'warn_user', username: name })}>
            Warn
          </button>
          <label className="visually-hidden" htmlFor={`timeout-${name}`}>
            Time out {name}
          </label>
          <select
            id={`timeout-${name}`}
            className="input input--small"
            data-testid="viewer-timeout"
            value=""
            onChange={(event) => {
              const seconds = Number(event.target.value);
              if (seconds > 0) onAction({ type: 'timeout_user', username: name, seconds });
            }}
          >
            <option value="">Time out…</option>
            {timeoutChoices.map((choice) => (
              <option key={choice.seconds} value={choice.seconds}>
                {choice.label}
              </option>
            ))}
          </select>
          <button
            type="button"
            className="link-button link-button--danger"
            data-testid="viewer-kick"
            onClick={() => {
              if (window.confirm(`Remove ${name} from this stream for 10 minutes?`)) onAction({ type: 'kick_user', username: name });
            }}
          >
            Kick
          </button>
        </div>
      )}
    </li>
  );
}
