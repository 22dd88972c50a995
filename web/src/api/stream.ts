// The screen feed resource: /stream/{start,stop,status,feed,mjpeg,ws}.
import { ApiError, isRecord, requestJson } from './http';

export interface StreamSettings {
  fps: number;
  quality: number;
}

export interface StreamStatus {
  active: boolean;
  fps: number | null;
  quality: number | null;
  taskId: string | null;
  host: string | null;
  port: number | null;
  startedAt: Date | null;
}

export interface StartResult extends StreamSettings {
  taskId: string;
}

export interface StopResult {
  taskId: string | null;
  message: string | null;
}

export const streamEndpoints = {
  start: '/stream/start',
  stop: '/stream/stop',
  status: '/stream/status',
  feed: '/stream/feed', // Server-Sent Events, one base64 JPEG per message
  mjpeg: '/stream/mjpeg', // multipart/x-mixed-replace, usable as <img src>
  ws: '/stream/ws', // binary WebSocket, one JPEG per message; ?mode=tiles: only what changed (api/tileMessage.ts)
} as const;

// The last message on /stream/feed before the server closes it.
export const feedStoppedMessage = 'stream_stopped';

export async function getStreamStatus(signal?: AbortSignal): Promise<StreamStatus> {
  const raw = await requestJson(streamEndpoints.status, { signal, timeoutMs: 5000 });
  return parseStatus(raw);
}

export async function startStream(settings: StreamSettings): Promise<StartResult> {
  const raw = await requestJson(streamEndpoints.start, { method: 'POST', body: settings });
  const body = expectRecord(raw, streamEndpoints.start);
  return {
    taskId: stringOrNull(body.task_id) ?? '',
    fps: numberOrNull(body.fps) ?? settings.fps,
    quality: numberOrNull(body.quality) ?? settings.quality,
  };
}

export async function stopStream(): Promise<StopResult> {
  const raw = await requestJson(streamEndpoints.stop, { method: 'POST' });
  const body = expectRecord(raw, streamEndpoints.stop);
  return { taskId: stringOrNull(body.task_id), message: stringOrNull(body.message) };
}

/** Absolute ws:// or wss:// address of the binary WebSocket feed (whole JPEG frames), for display. */
export function webSocketFeedUrl(location: Location = window.location): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}${streamEndpoints.ws}`;
}

/**
 * Address of the tile-mode feed on this origin: ws: or wss: as the page. `maxKbps` (1–1000000) asks the server
 * to keep this viewer under that rate by sending fewer updates; null for no cap.
 */
export function tileFeedUrl(maxKbps: number | null, location: Location = window.location): string {
  const query = new URLSearchParams({ mode: 'tiles' });
  if (maxKbps !== null) query.set('max_kbps', String(maxKbps));
  return `${webSocketFeedUrl(location)}?${query.toString()}`;
}

function parseStatus(raw: unknown): StreamStatus {
  const body = expectRecord(raw, streamEndpoints.status);
  if (typeof body.active !== 'boolean') {
    throw new ApiError(200, 'bad_response', `${streamEndpoints.status} did not say whether a stream is active.`);
  }
  const startedAt = numberOrNull(body.started_at);
  return {
    active: body.active,
    fps: numberOrNull(body.fps),
    quality: numberOrNull(body.quality),
    taskId: stringOrNull(body.task_id),
    host: stringOrNull(body.host),
    port: numberOrNull(body.port),
    startedAt: startedAt === null ? null : new Date(startedAt * 1000),
  };
}

function expectRecord(raw: unknown, path: string): Record<string, unknown> {
  if (!isRecord(raw)) throw new ApiError(200, 'bad_response', `Unexpected answer from ${path}.`);
  return raw;
}

function numberOrNull(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}
