import { useEffect, useRef, useState, type FormEvent } from 'react';
import { Link } from 'react-router-dom';
import { reasonMaxLength, type Comment, type Role } from '../api/live';
import { formatClock } from './format';
import { canActOn, canDeleteComment, canModerate, canUseEmotes, roleLabels, timeoutChoices } from './permissions';
import type { Emote } from './useLiveRoom';

export interface ChatPanelProps {
  comments: Comment[];
  emotes: Emote[];
  myRole: Role | undefined;
  myName: string | null;
  /** Why the box is closed (guest, timed out, removed, ended, disconnected); null when the user may comment. */
  closedReason: 'guest' | 'timed_out' | 'kicked' | 'ended' | 'offline' | null;
  timedOutUntil: number | null;
  /** Why you were timed out, when the moderator said. */
  timedOutReason?: string | null;
  onSend: (content: string) => Promise<void>;
  onDelete: (commentId: number) => void;
  /** `reason`: the moderator's optional reason (null when the box is empty), shown to the user concerned. */
  onWarn: (username: string, reason: string | null) => void;
  onTimeout: (username: string, seconds: number, reason: string | null) => void;
  onKick: (username: string, reason: string | null) => void;
}

const maxCommentLength = 500;

// Chat: the comments (highlighted for streamer, moderators, VIPs; emotes shown as their glyph), inline
// moderation for the streamer and moderators, and the box to write. Everything is rendered as text.
export function ChatPanel(props: ChatPanelProps) {
  const { comments, emotes, myRole, myName, closedReason } = props;
  const [draft, setDraft] = useState('');
  const [sending, setSending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [reason, setReason] = useState('');
  const listRef = useRef<HTMLOListElement>(null);
  const stickToBottom = useRef(true);

  // Moderation from a comment uses the reason typed above the chat (optional), then clears it.
  const takeReason = () => {
    const text = reason.trim();
    setReason('');
    return text === '' ? null : text;
  };
  const onWarn = (username: string) => props.onWarn(username, takeReason());
  const onTimeout = (username: string, seconds: number) => props.onTimeout(username, seconds, takeReason());
  const onKick = (username: string) => props.onKick(username, takeReason());

  useEffect(() => {
    const list = listRef.current;
    if (list !== null && stickToBottom.current) list.scrollTop = list.scrollHeight;
  }, [comments.length]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const content = draft.trim();
    if (content === '' || sending) return;
    setSending(true);
    setError(null);
    try {
      await props.onSend(content);
      setDraft('');
      stickToBottom.current = true;
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure));
    } finally {
      setSending(false);
    }
  };

  return (
    <section className="card chat" aria-labelledby="chat-heading">
      <h2 id="chat-heading" className="card__title">
        Chat
      </h2>
      {canModerate(myRole) && (
        <div className="chat__reason">
          <label className="visually-hidden" htmlFor="moderation-reason">
            Reason for a warning, timeout or kick (optional)
          </label>
          <input
            id="moderation-reason"
            className="input input--small"
            data-testid="moderation-reason"
            value={reason}
            maxLength={reasonMaxLength}
            placeholder="Reason for warn / time out / kick (optional)"
            autoComplete="off"
            onChange={(event) => setReason(event.target.value)}
          />
        </div>
      )}
      <ol
        className="chat__list"
        ref={listRef}
        data-testid="chat-list"
        aria-live="polite"
        aria-label="Comments"
        tabIndex={0}
        onScroll={(event) => {
          const list = event.currentTarget;
          stickToBottom.current = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
        }}
      >
        {comments.length === 0 && <li className="chat__empty muted">No comments yet.</li>}
        {comments.map((comment) => (
          <CommentRow
            key={comment.id}
            comment={comment}
            emotes={emotes}
            myRole={myRole}
            myName={myName}
            onDelete={props.onDelete}
            onWarn={onWarn}
            onTimeout={onTimeout}
            onKick={onKick}
          />
        ))}
      </ol>
      {closedReason === 'guest' ? (
        <p className="chat__closed" data-testid="chat-login-prompt">
          <Link to="/login">Log in</Link> or <Link to="/signup">sign up</Link> to comment.
        </p>
      ) : closedReason === 'timed_out' ? (
        <p className="chat__closed" data-testid="chat-timed-out" role="status">
          You are timed out{props.timedOutUntil !== null ? ` until ${formatClock(props.timedOutUntil)}` : ''}
          {props.timedOutReason ? ` (${props.timedOutReason})` : ''}. You can still watch.
        </p>
      ) : closedReason === 'kicked' ? (
        <p className="chat__closed" data-testid="chat-kicked">You were removed from this stream; chat is closed.</p>
      ) : closedReason === 'ended' ? (
        <p className="chat__closed">The stream has ended; chat is closed.</p>
      ) : (
        <form className="chat__form" onSubmit={(event) => void submit(event)}>
          {canUseEmotes(myRole) && emotes.length > 0 && (
            <div className="chat__emotes" role="group" aria-label="VIP emotes">
              {emotes.map((emote) => (
                <button
                  key={emote.code}
                  type="button"
                  className="emote-button"
                  title={`${emote.label} (${emote.code})`}
                  aria-label={`Insert ${emote.label}`}
                  onClick={() => setDraft((d) => `${d}${d === '' || d.endsWith(' ') ? '' : ' '}${emote.code} `)}
                >
                  {emote.glyph}
                </button>
              ))}
            </div>
          )}
          <div className="chat__row">
            <label className="visually-hidden" htmlFor="chat-input">
              Write a comment
            </label>
            <input
              id="chat-input"
              className="input"
              data-testid="chat-input"
              value={draft}
              maxLength={maxCommentLength}
              placeholder={closedReason === 'offline' ? 'Reconnecting…' : 'Say something'}
              autoComplete="off"
              onChange={(event) => setDraft(event.target.value)}
            />
            <button
              type="submit"
              className="button button--primary"
              data-testid="chat-send"
              disabled={sending || draft.trim() === '' || closedReason === 'offline'}
            >
              Send
            </button>
          </div>
          {error !== null && (
            <p className="field__error" role="alert" data-testid="chat-error">
              {error}
            </p>
          )}
        </form>
      )}
    </section>
  );
}

function CommentRow({
  comment,
  emotes,
  myRole,
  myName,
  onDelete,
  onWarn,
  onTimeout,
  onKick,
}: {
  comment: Comment;
  emotes: Emote[];
  myRole: Role | undefined;
  myName: string | null;
  onDelete: (commentId: number) => void;
  onWarn: (username: string) => void;
  onTimeout: (username: string, seconds: number) => void;
  onKick: (username: string) => void;
}) {
  const own = myName !== null && comment.username === myName;
  const mayDelete = canDeleteComment(myRole, comment.role);
  const mayAct = !own && canActOn(myRole, comment.role);
  return (
    <li
      className={`comment ${comment.highlighted ? `comment--highlighted comment--${comment.role}` : ''}`}
      data-testid="chat-comment"
      data-comment-id={comment.id}
    >
      <div className="comment__head">
        <span className="comment__author" data-testid="comment-author">
          {comment.username}
        </span>
        {comment.highlighted && <span className={`role-badge role-badge--${comment.role}`}>{roleLabels[comment.role]}</span>}
        <time className="comment__time" dateTime={new Date(comment.createdAt * 1000).toISOString()}>
          {formatClock(comment.createdAt)}
        </time>
      </div>
      <p className="comment__text" data-testid="comment-text">
        <EmoteText text={comment.content} emotes={emotes} />
      </p>
      {(mayDelete || mayAct) && (
        <div className="comment__actions" aria-label={`Moderate ${comment.username}`} role="group">
          {mayDelete && (
            <button type="button" className="link-button" data-testid="comment-delete" onClick={() => onDelete(comment.id)}>
              Delete
            </button>
          )}
          {mayAct && (
            <button type="button" className="link-button" data-testid="comment-warn" onClick={() => onWarn(comment.username)}>
              Warn
            </button>
          )}
          {mayAct &&
            timeoutChoices.slice(0, 2).map((choice) => (
              <button
                key={choice.seconds}
                type="button"
                className="link-button"
                data-testid={`comment-timeout-${choice.seconds}`}
                onClick={() => onTimeout(comment.username, choice.seconds)}
              >
                Time out {choice.label}
              </button>
            ))}
          {mayAct && (
            <button type="button" className="link-button link-button--danger" data-testid="comment-kick" onClick={() => onKick(comment.username)}>
              Kick
            </button>
          )}
        </div>
      )}
    </li>
  );
}

/** Text with emote codes shown as their glyph; both are plain text nodes. */
export function EmoteText({ text, emotes }: { text: string; emotes: Emote[] }) {
  const codes = emotes.filter((e) => e.code !== '');
  if (codes.length === 0) return <>{text}</>;
  const pattern = new RegExp(`(${codes.map((e) => e.code.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})`);
  const parts = text.split(pattern);
  return (
    <>
      {parts.map((part, index) => {
        const emote = index % 2 === 1 ? codes.find((e) => e.code === part) : undefined;
        return emote === undefined ? (
          <span key={index}>{part}</span>
        ) : (
          <span key={index} className="emote" role="img" aria-label={emote.label} title={emote.code}>
            {emote.glyph}
          </span>
        );
      })}
    </>
  );
}
