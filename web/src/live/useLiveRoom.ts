import { useCallback, useEffect, useRef, useState } from 'react';
import { isRecord } from '../api/http';
import {
  num,
  parseComment,
  parseModerationEntry,
  parseRole,
  parseStream,
  str,
  type Comment,
  type LiveStream,
  type ModerationEntry,
  type Role,
} from '../api/live';
import { p2pMedia, parseMediaInfo, type MediaInfo } from './mediaMode';
import { LiveSocket, type FinishReason, type ServerMessage, type SocketPhase } from './socket';

export interface Emote {
  code: string;
  label: string;
  glyph: string;
}

export interface You {
  userId: number | null;
  username: string | null;
  role: Role;
  timedOutUntil: number | null;
}

export interface Viewer {
  userId: number | null;
  username: string | null;
  role: Role;
  connections: number;
}

export interface RoomState {
  phase: SocketPhase | 'idle';
  retryInMs: number | null;
  finish: FinishReason | null;
  kicked: { reason: string; until: number | null; by: string | null } | null;
  /** The last warning a moderator gave you (`warned`), until dismissed. */
  warning: { reason: string | null; by: string | null; at: number } | null;
  /** Why you were timed out (`timed_out`): shown while the timeout lasts. */
  timeoutReason: { reason: string | null; by: string | null } | null;
  /** Moderation log entries received live (`moderation_action`, streamer and moderators), newest first. */
  moderationLog: ModerationEntry[];
  endedAt: number | null;
  /** The streamer's connection dropped and the stream waits for them (streamer_disconnected) until `until`. */
  streamerAway: { until: number | null } | null;
  connectionId: string | null;
  stream: LiveStream | null;
  you: You | null;
  viewersCount: number | null;
  peakViewers: number | null;
  comments: Comment[];
  roles: { moderators: string[]; vips: string[] };
  emotes: Emote[];
  viewers: Viewer[] | null;
  /** How media travels (p2p or through the media server) and who publishes; p2p until the server says. */
  media: MediaInfo;
  /** The last refusal of an action that is not a comment (moderation, roles). */
  notice: string | null;
}

const initialState: RoomState = {
  phase: 'idle',
  retryInMs: null,
  finish: null,
  kicked: null,
  warning: null,
  timeoutReason: null,
  moderationLog: [],
  endedAt: null,
  streamerAway: null,
  connectionId: null,
  stream: null,
  you: null,
  viewersCount: null,
  peakViewers: null,
  comments: [],
  roles: { moderators: [], vips: [] },
  emotes: [],
  viewers: null,
  media: p2pMedia,
  notice: null,
};

const commentAckTimeoutMs = 10_000;
// Messages the page's WebRTC code acts on. offer / answer / ice_candidate carry `from` (a peer connection)
// or `peer: "server"` (the media server, janus mode); quality and media_state only come in janus mode.
const signalingTypes = new Set(['offer', 'answer', 'ice_candidate', 'user_joined', 'user_left', 'quality', 'media_state']);

interface PendingComment {
  resolve: () => void;
  reject: (error: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

export interface LiveRoomOptions {
  /** The socket is open only while true (the studio connects on Go live). */
  enabled: boolean;
  /**
   * offer, answer, ice_candidate (with `from`, or `peer: "server"`), user_joined, user_left, quality,
   * media_state; and connection_established (to reset peers). Called before the room state is updated.
   */
  onSignal?: (message: ServerMessage) => void;
}

/**
 * Owns the stream WebSocket of a page and the room state it carries: stream, who you are, viewer count,
 * chat, roles, emotes, and the end states (ended, kicked, replaced). Chat shows only what the server
 * broadcast, so a refused comment never appears; a comment resolves when its own copy (the ack) comes back.
 */
export function useLiveRoom(streamId: number, { enabled, onSignal }: LiveRoomOptions) {
  const [state, setState] = useState<RoomState>(initialState);
  const socketRef = useRef<LiveSocket | null>(null);
  const pending = useRef(new Map<string, PendingComment>());
  const nextRef = useRef(1);
  const onSignalRef = useRef(onSignal);
  useEffect(() => {
    onSignalRef.current = onSignal;
  });

  useEffect(() => {
    if (!enabled || !Number.isFinite(streamId)) return;
    const pendingComments = pending.current;
    const socket = new LiveSocket(streamId, {
      onPhase: (phase, retryInMs) => setState((s) => ({ ...s, phase, retryInMs })),
      onFinish: (finish) => setState((s) => ({ ...s, finish })),
      onMessage: (message) => {
        if (signalingTypes.has(message.type) || message.type === 'connection_established') onSignalRef.current?.(message);
        if (message.type === 'comment' && typeof message.ref === 'string') {
          const waiting = pendingComments.get(message.ref);
          if (waiting !== undefined) {
            clearTimeout(waiting.timer);
            pendingComments.delete(message.ref);
            waiting.resolve();
          }
        }
        if (message.type === 'error' && typeof message.ref === 'string' && pendingComments.has(message.ref)) {
          const waiting = pendingComments.get(message.ref);
          pendingComments.delete(message.ref);
          if (waiting !== undefined) {
            clearTimeout(waiting.timer);
            waiting.reject(new Error(str(message.message) ?? 'The comment was refused.'));
          }
          return;
        }
        setState((s) => reduce(s, message));
      },
    });
    socketRef.current = socket;
    socket.start();
    return () => {
      socket.stop();
      socketRef.current = null;
      for (const waiting of pendingComments.values()) {
        clearTimeout(waiting.timer);
        waiting.reject(new Error('Disconnected.'));
      }
      pendingComments.clear();
      setState(initialState);
    };
  }, [streamId, enabled]);

  const send = useCallback((message: Record<string, unknown>): boolean => {
    const sent = socketRef.current?.send({ ...message, ref: `a${nextRef.current++}` }) ?? false;
    if (!sent) setState((s) => ({ ...s, notice: 'Not connected right now; try again in a moment.' }));
    return sent;
  }, []);

  const sendRaw = useCallback((message: Record<string, unknown>) => socketRef.current?.send(message) ?? false, []);

  const sendComment = useCallback((content: string): Promise<void> => {
    return new Promise<void>((resolve, reject) => {
      const ref = `c${nextRef.current++}`;
      if (!(socketRef.current?.send({ type: 'comment', content, ref }) ?? false)) {
        reject(new Error('Not connected right now; your comment was not sent.'));
        return;
      }
      const timer = setTimeout(() => {
        pending.current.delete(ref);
        reject(new Error('The server did not confirm your comment; it may not have been posted.'));
      }, commentAckTimeoutMs);
      pending.current.set(ref, { resolve, reject, timer });
    });
  }, []);

  const dismissNotice = useCallback(() => setState((s) => ({ ...s, notice: null })), []);
  const dismissWarning = useCallback(() => setState((s) => ({ ...s, warning: null })), []);
  const reconnectNow = useCallback(() => socketRef.current?.reconnectNow(), []);

  return { state, send, sendRaw, sendComment, dismissNotice, dismissWarning, reconnectNow };
}

function reduce(s: RoomState, m: ServerMessage): RoomState {
  switch (m.type) {
    case 'connection_established': {
      const you = isRecord(m.you) ? m.you : {};
      const roles = parseRoles(m.roles);
      return {
        ...s,
        connectionId: m.connection_id === undefined || m.connection_id === null ? null : String(m.connection_id),
        stream: parseStream(m.stream) ?? s.stream,
        you: {
          userId: num(you.user_id),
          username: str(you.username),
          role: parseRole(you.role),
          timedOutUntil: num(you.timed_out_until),
        },
        viewersCount: num(m.viewers_count) ?? 0,
        peakViewers: num(m.peak_viewers) ?? 0,
        comments: Array.isArray(m.comments) ? m.comments.map(parseComment).filter((c): c is Comment => c !== null) : [],
        roles,
        emotes: Array.isArray(m.emotes) ? m.emotes.filter(isRecord).map(parseEmote) : [],
        media: parseMediaInfo(m.media),
        notice: null,
        // A streamer_disconnected follows when the stream is waiting for its streamer.
        streamerAway: null,
      };
    }
    case 'streamer_disconnected':
      return { ...s, streamerAway: { until: num(m.until) } };
    case 'streamer_reconnected':
      return { ...s, streamerAway: null };
    case 'media_state':
      return { ...s, media: parseMediaInfo(m) };
    case 'viewers_update':
      return { ...s, viewersCount: num(m.viewers_count) ?? s.viewersCount, peakViewers: num(m.peak_viewers) ?? s.peakViewers };
    case 'comment': {
      const comment = parseComment(m);
      if (comment === null || s.comments.some((c) => c.id === comment.id)) return s;
      return { ...s, comments: [...s.comments, comment].slice(-500) };
    }
    case 'comment_deleted':
      return { ...s, comments: s.comments.filter((c) => c.id !== num(m.comment_id)) };
    case 'user_timed_out': {
      if (s.you === null || s.you.username === null || m.username !== s.you.username) return s;
      return { ...s, you: { ...s.you, timedOutUntil: num(m.until) } };
    }
    case 'kicked':
      return { ...s, kicked: { reason: str(m.reason) ?? '', until: num(m.until), by: str(m.by) } };
    case 'warned':
      return { ...s, warning: { reason: str(m.reason), by: str(m.by), at: Date.now() / 1000 } };
    case 'timed_out':
      return { ...s, timeoutReason: { reason: str(m.reason), by: str(m.by) } };
    case 'moderation_action': {
      const entry = parseModerationEntry(m);
      if (entry === null || s.moderationLog.some((e) => e.id === entry.id)) return s;
      return { ...s, moderationLog: [entry, ...s.moderationLog].slice(0, 500) };
    }
    case 'roles_update': {
      const roles = parseRoles(m);
      const you = s.you;
      if (you === null || you.role === 'streamer' || you.role === 'guest' || you.username === null) return { ...s, roles };
      const role: Role = roles.moderators.includes(you.username) ? 'moderator' : roles.vips.includes(you.username) ? 'vip' : 'viewer';
      return { ...s, roles, you: { ...you, role } };
    }
    case 'viewer_list':
      return {
        ...s,
        viewersCount: num(m.viewers_count) ?? s.viewersCount,
        viewers: Array.isArray(m.viewers)
          ? m.viewers.filter(isRecord).map((v) => ({
              userId: num(v.user_id),
              username: str(v.username) || null,
              role: parseRole(v.role),
              connections: num(v.connections) ?? 1,
            }))
          : s.viewers,
      };
    case 'stream_ended':
      return {
        ...s,
        streamerAway: null,
        endedAt: num(m.ended_at) ?? Date.now() / 1000,
        stream: s.stream === null ? null : { ...s.stream, status: 'ended', endedAt: num(m.ended_at) },
      };
    case 'error':
      if (m.error === 'replaced') return s;
      return { ...s, notice: str(m.message) ?? `The server refused that (${str(m.error) ?? 'error'}).` };
    default:
      return s;
  }
}

function parseRoles(raw: unknown): RoomState['roles'] {
  const record = isRecord(raw) ? raw : {};
  const names = (value: unknown) =>
    Array.isArray(value) ? value.map((v) => (isRecord(v) ? str(v.username) : str(v))).filter((v): v is string => v !== null) : [];
  return { moderators: names(record.moderators), vips: names(record.vips) };
}

function parseEmote(raw: Record<string, unknown>): Emote {
  return { code: str(raw.code) ?? '', label: str(raw.label) ?? '', glyph: str(raw.glyph) ?? '' };
}
