// The wire shapes of docs/PROTOCOL.md "Media through the server": which way media travels (`media` in
// `connection_established` and `media_state`), who publishes, and the simulcast quality a viewer asks for.
// Pure parsing; anything unknown falls back to today's peer-to-peer behaviour.
import { isRecord } from '../api/http';

export type MediaMode = 'p2p' | 'janus';
export type MediaServerState = 'up' | 'down';
export type MediaSource = 'browser' | 'whip';

export interface MediaInfo {
  mode: MediaMode;
  /** Whether the media server is reachable now; null in p2p mode. */
  server: MediaServerState | null;
  /** Who publishes to the media server; null when nobody does (and always in p2p mode). */
  source: MediaSource | null;
}

/** A server that says nothing about media is a peer-to-peer server (the design before janus mode). */
export const p2pMedia: MediaInfo = { mode: 'p2p', server: null, source: null };

/** `media` of connection_established, or a media_state message itself (same fields). */
export function parseMediaInfo(raw: unknown): MediaInfo {
  if (!isRecord(raw) || raw.mode !== 'janus') return p2pMedia;
  return {
    mode: 'janus',
    server: raw.server === 'up' ? 'up' : 'down',
    source: raw.source === 'browser' || raw.source === 'whip' ? raw.source : null,
  };
}

/** Signaling with the media server carries `peer: "server"` instead of `target` / `from`. */
export const serverPeer = 'server';

export function isServerPeer(message: Record<string, unknown>): boolean {
  return message.peer === serverPeer;
}

export type QualityChoice = 'auto' | 'high' | 'medium' | 'low';
export type Layer = 'high' | 'medium' | 'low';

export const qualityChoices: readonly QualityChoice[] = ['auto', 'high', 'medium', 'low'];

export function parseQualityChoice(raw: unknown): QualityChoice | null {
  return raw === 'auto' || raw === 'high' || raw === 'medium' || raw === 'low' ? raw : null;
}

export function parseLayer(raw: unknown): Layer | null {
  return raw === 'high' || raw === 'medium' || raw === 'low' ? raw : null;
}

export interface QualityInfo {
  requested: QualityChoice | null;
  layer: Layer | null;
}

/**
 * A `quality` message ({requested, layer}), or the `quality` field of a server offer: an object of the same
 * shape, or (read leniently) a bare requested-quality string.
 */
export function parseQualityInfo(raw: unknown): QualityInfo {
  if (typeof raw === 'string') return { requested: parseQualityChoice(raw), layer: null };
  if (!isRecord(raw)) return { requested: null, layer: null };
  return { requested: parseQualityChoice(raw.requested), layer: parseLayer(raw.layer) };
}
