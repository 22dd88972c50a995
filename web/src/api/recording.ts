// A stream's recording (docs/API.md "Recording"): chunks uploaded in order by the streamer's studio while live,
// one WebM file afterwards.
import { ApiError, isRecord, requestJson } from './http';
import { num, str } from './live';

export interface Recording {
  streamId: number;
  mimeType: string;
  bytes: number;
  chunks: number;
  nextSeq: number;
  createdAt: number | null;
  updatedAt: number | null;
  /** Same-origin path of the WebM file. */
  url: string;
}

export function parseRecording(raw: unknown, streamId: number): Recording | null {
  if (!isRecord(raw)) return null;
  const url = str(raw.url);
  return {
    streamId: num(raw.stream_id) ?? streamId,
    mimeType: str(raw.mime_type) ?? 'video/webm',
    bytes: num(raw.bytes) ?? 0,
    chunks: num(raw.chunks) ?? 0,
    nextSeq: num(raw.next_seq) ?? 0,
    createdAt: num(raw.created_at),
    updatedAt: num(raw.updated_at),
    // Only a path on this server is used as a link or a video source.
    url: url !== null && url.startsWith('/') && !url.startsWith('//') ? url : recordingFileUrl(streamId),
  };
}

// docs/API.md answers `{recording: {...}}`; a bare recording object is accepted too.
function unwrap(raw: unknown): unknown {
  if (!isRecord(raw)) return null;
  if (isRecord(raw.recording)) return raw.recording;
  return 'bytes' in raw && 'next_seq' in raw ? raw : null;
}

export function recordingFileUrl(streamId: number): string {
  return `/api/live/${streamId}/recording/file`;
}

/** The stream's recording, or null when it has none (404). */
export async function getRecording(streamId: number, signal?: AbortSignal): Promise<Recording | null> {
  try {
    const raw = await requestJson(`/api/live/${streamId}/recording/`, { signal });
    const recording = parseRecording(unwrap(raw), streamId);
    if (recording === null) throw new ApiError(200, 'bad_response', 'The server sent an unexpected recording.');
    return recording;
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return null;
    throw error;
  }
}

export type ChunkAnswer =
  | { kind: 'stored'; recording: Recording | null }
  | { kind: 'resync'; nextSeq: number; message: string }
  /** Worth retrying later: network trouble, timeouts, 5xx, 429, or a conflict without next_seq. */
  | { kind: 'retry'; status: number; message: string }
  /** Retrying cannot help: signed out, not the streamer, too large, gone. */
  | { kind: 'fatal'; status: number; code: string; message: string };

/** PUT one chunk. Never throws except when `signal` aborts. */
export async function putRecordingChunk(
  streamId: number,
  seq: number,
  body: Blob,
  mimeType: string,
  signal?: AbortSignal,
  timeoutMs = 20_000,
): Promise<ChunkAnswer> {
  const controller = new AbortController();
  const forwardAbort = () => controller.abort(signal?.reason);
  signal?.addEventListener('abort', forwardAbort, { once: true });
  const timer = setTimeout(() => controller.abort(new DOMException('timed out', 'TimeoutError')), timeoutMs);
  let response: Response;
  let payload: Record<string, unknown> = {};
  try {
    response = await fetch(`/api/live/${streamId}/recording/chunks/${seq}/`, {
      method: 'PUT',
      headers: { 'Content-Type': mimeType || 'video/webm', Accept: 'application/json' },
      body,
      cache: 'no-store',
      credentials: 'same-origin',
      signal: controller.signal,
    });
    const text = await response.text();
    try {
      const parsed: unknown = text === '' ? undefined : JSON.parse(text);
      if (isRecord(parsed)) payload = parsed;
    } catch {
      /* not JSON: the status says enough */
    }
  } catch (error) {
    if (signal?.aborted) throw error;
    const timedOut = controller.signal.aborted;
    return { kind: 'retry', status: 0, message: timedOut ? 'the server did not answer in time' : 'cannot reach the server' };
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', forwardAbort);
  }

  const message = typeof payload.message === 'string' && payload.message !== '' ? payload.message : `HTTP ${response.status}`;
  const code = typeof payload.error === 'string' ? payload.error : `http_${response.status}`;
  if (response.ok) return { kind: 'stored', recording: parseRecording(unwrap(payload), streamId) };
  if (response.status === 409) {
    const nextSeq = num(payload.next_seq);
    if (nextSeq !== null) return { kind: 'resync', nextSeq, message };
    return { kind: 'retry', status: 409, message };
  }
  if (response.status >= 500 || response.status === 429 || response.status === 408) return { kind: 'retry', status: response.status, message };
  return { kind: 'fatal', status: response.status, code, message };
}
