// The live platform's REST resources (docs/API.md): streams, comments, statistics, roles, RTC config.
import { ApiError, isRecord, requestJson } from './http';

export type StreamStatusName = 'waiting' | 'live' | 'ended';
export type Role = 'streamer' | 'moderator' | 'vip' | 'viewer' | 'guest';

export interface LiveStream {
  id: number;
  streamer: { id: number; username: string };
  title: string;
  description: string;
  status: StreamStatusName;
  createdAt: number; // unix seconds
  startedAt: number | null;
  endedAt: number | null;
  viewersCount: number;
  peakViewers: number;
}

export interface Comment {
  id: number;
  username: string;
  role: Role;
  highlighted: boolean;
  content: string;
  createdAt: number;
}

export interface StreamStats {
  streamId: number;
  status: StreamStatusName;
  viewersCount: number;
  peakViewers: number;
  duration: number; // seconds live
  commentsCount: number;
  averageViewers: number;
  startedAt: number | null;
  endedAt: number | null;
  series: { at: number; viewers: number }[];
}

export const titleMaxLength = 140;
export const descriptionMaxLength = 2000;

export async function listStreams(status: StreamStatusName, limit = 20, signal?: AbortSignal): Promise<LiveStream[]> {
  const raw = await requestJson(`/api/live/?status=${status}&limit=${limit}&offset=0`, { signal });
  return parseStreamList(raw);
}

export async function listRecentlyEnded(limit = 10, signal?: AbortSignal): Promise<LiveStream[]> {
  return parseStreamList(await requestJson(`/api/live/ended/recent/?limit=${limit}`, { signal }));
}

export async function getLiveStream(id: number, signal?: AbortSignal): Promise<LiveStream> {
  return parseStreamAnswer(await requestJson(`/api/live/${id}/`, { signal }));
}

export async function createLiveStream(title: string, description: string): Promise<LiveStream> {
  return parseStreamAnswer(await requestJson('/api/live/create/', { method: 'POST', body: { title, description } }));
}

export async function endLiveStream(id: number): Promise<LiveStream> {
  return parseStreamAnswer(await requestJson(`/api/live/${id}/end/`, { method: 'POST' }));
}

export async function getStreamStats(id: number, signal?: AbortSignal): Promise<StreamStats> {
  const raw = await requestJson(`/api/live/${id}/stats/`, { signal });
  if (!isRecord(raw)) throw badResponse('stats');
  const series = Array.isArray(raw.series)
    ? raw.series.filter(isRecord).map((point) => ({ at: num(point.at) ?? 0, viewers: num(point.viewers) ?? 0 }))
    : [];
  return {
    streamId: num(raw.stream_id) ?? id,
    status: parseStatusName(raw.status),
    viewersCount: num(raw.viewers_count) ?? 0,
    peakViewers: num(raw.peak_viewers) ?? 0,
    duration: num(raw.duration) ?? 0,
    commentsCount: num(raw.comments_count) ?? 0,
    averageViewers: num(raw.average_viewers) ?? 0,
    startedAt: num(raw.started_at),
    endedAt: num(raw.ended_at),
    series,
  };
}

/** One entry of a stream's moderation log (GET /api/live/<id>/moderation/, WS `moderation_action`). */
export interface ModerationEntry {
  id: number;
  action: ModerationActionName;
  by: string;
  username: string;
  reason: string | null;
  seconds: number | null;
  commentId: number | null;
  createdAt: number;
}

export type ModerationActionName =
  | 'warn'
  | 'delete_comment'
  | 'timeout'
  | 'kick'
  | 'add_moderator'
  | 'remove_moderator'
  | 'add_vip'
  | 'remove_vip';

export const reasonMaxLength = 200;

export interface ModerationPage {
  results: ModerationEntry[];
  count: number;
}

/** The stream's moderation log, newest first (streamer and moderators only). */
export async function getModerationLog(id: number, limit: number, offset: number, signal?: AbortSignal): Promise<ModerationPage> {
  const raw = await requestJson(`/api/live/${id}/moderation/?limit=${limit}&offset=${offset}`, { signal });
  if (!isRecord(raw) || !Array.isArray(raw.results)) throw badResponse('moderation log');
  return {
    results: raw.results.map(parseModerationEntry).filter((e): e is ModerationEntry => e !== null),
    count: num(raw.count) ?? 0,
  };
}

export function parseModerationEntry(raw: unknown): ModerationEntry | null {
  if (!isRecord(raw) || typeof raw.id !== 'number' || typeof raw.action !== 'string') return null;
  return {
    id: raw.id,
    action: raw.action as ModerationActionName,
    by: str(raw.by) ?? '',
    username: str(raw.username) ?? '',
    reason: str(raw.reason),
    seconds: num(raw.seconds),
    commentId: num(raw.comment_id),
    createdAt: num(raw.created_at) ?? 0,
  };
}

export async function getRtcConfig(signal?: AbortSignal): Promise<RTCIceServer[]> {
  const raw = await requestJson('/api/rtc/config', { signal, timeoutMs: 8000 });
  if (!isRecord(raw) || !Array.isArray(raw.iceServers)) return [];
  return raw.iceServers.filter((s) => isRecord(s) && (typeof s.urls === 'string' || Array.isArray(s.urls))) as unknown as RTCIceServer[];
}

export function parseStream(raw: unknown): LiveStream | null {
  if (!isRecord(raw) || typeof raw.id !== 'number' || !isRecord(raw.streamer)) return null;
  return {
    id: raw.id,
    streamer: { id: num(raw.streamer.id) ?? 0, username: str(raw.streamer.username) ?? '' },
    title: str(raw.title) ?? '',
    description: str(raw.description) ?? '',
    status: parseStatusName(raw.status),
    createdAt: num(raw.created_at) ?? 0,
    startedAt: num(raw.started_at),
    endedAt: num(raw.ended_at),
    viewersCount: num(raw.viewers_count) ?? 0,
    peakViewers: num(raw.peak_viewers) ?? 0,
  };
}

export function parseComment(raw: unknown): Comment | null {
  if (!isRecord(raw) || typeof raw.id !== 'number' || typeof raw.content !== 'string') return null;
  return {
    id: raw.id,
    username: str(raw.username) ?? '',
    role: parseRole(raw.role),
    highlighted: raw.highlighted === true,
    content: raw.content,
    createdAt: num(raw.created_at) ?? 0,
  };
}

export function parseRole(raw: unknown): Role {
  return raw === 'streamer' || raw === 'moderator' || raw === 'vip' || raw === 'viewer' ? raw : 'guest';
}

function parseStatusName(raw: unknown): StreamStatusName {
  return raw === 'live' || raw === 'ended' ? raw : 'waiting';
}

function parseStreamAnswer(raw: unknown): LiveStream {
  const stream = isRecord(raw) ? parseStream(raw.stream) : null;
  if (stream === null) throw badResponse('stream');
  return stream;
}

function parseStreamList(raw: unknown): LiveStream[] {
  if (!isRecord(raw) || !Array.isArray(raw.results)) throw badResponse('stream list');
  return raw.results.map(parseStream).filter((s): s is LiveStream => s !== null);
}

function badResponse(what: string) {
  return new ApiError(200, 'bad_response', `The server sent an unexpected ${what}.`);
}

export function num(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

export function str(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}
