// A stream's key for WHIP encoders (docs/API.md "WHIP and WHEP"): the streamer makes a new one (shown once,
// stored hashed) and reads whether one exists. Both answer 409 when the server sends media peer-to-peer.
import { ApiError, isRecord, requestJson } from './http';
import { num, str } from './live';

export interface StreamKeyInfo {
  hasKey: boolean;
  /** Where encoders publish, as the server gave it (usually a path such as /whip/42). */
  whipUrl: string;
  createdAt: number | null;
}

export interface NewStreamKey {
  streamKey: string;
  whipUrl: string;
  createdAt: number | null;
}

export function defaultWhipPath(streamId: number): string {
  return `/whip/${streamId}`;
}

/** The absolute WHIP URL an encoder needs: a path from the server is made absolute on this origin. */
export function absoluteWhipUrl(whipUrl: string): string {
  return /^https?:\/\//.test(whipUrl) ? whipUrl : `${window.location.origin}${whipUrl.startsWith('/') ? '' : '/'}${whipUrl}`;
}

export async function getStreamKey(streamId: number, signal?: AbortSignal): Promise<StreamKeyInfo> {
  const raw = await requestJson(`/api/live/${streamId}/key/`, { signal });
  if (!isRecord(raw)) throw badResponse();
  return {
    hasKey: raw.has_key === true,
    whipUrl: str(raw.whip_url) ?? defaultWhipPath(streamId),
    createdAt: num(raw.created_at),
  };
}

/** Makes a new key; the old one stops working. */
export async function createStreamKey(streamId: number): Promise<NewStreamKey> {
  const raw = await requestJson(`/api/live/${streamId}/key/`, { method: 'POST' });
  const streamKey = isRecord(raw) ? str(raw.stream_key) : null;
  if (!isRecord(raw) || streamKey === null || streamKey === '') throw badResponse();
  return { streamKey, whipUrl: str(raw.whip_url) ?? defaultWhipPath(streamId), createdAt: num(raw.created_at) };
}

function badResponse() {
  return new ApiError(200, 'bad_response', 'The server sent an unexpected stream key answer.');
}
