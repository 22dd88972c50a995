import type { StreamSettings } from '../../api/stream';

export interface Preset extends StreamSettings {
  id: 'lan' | 'internet' | 'mobile';
  label: string;
  hint: string;
}

// Recommendations from the screen-feed design: local network, internet, mobile or slow links.
export const presets: readonly Preset[] = [
  { id: 'lan', label: 'LAN', hint: 'Local network', fps: 30, quality: 85 },
  { id: 'internet', label: 'Internet', hint: 'Typical uplink', fps: 15, quality: 75 },
  { id: 'mobile', label: 'Mobile', hint: 'Slow or metered', fps: 10, quality: 60 },
];

export const defaultSettings: StreamSettings = { fps: 15, quality: 75 };

export const limits = {
  fps: { min: 1, max: 60, label: 'Frame rate' },
  quality: { min: 1, max: 100, label: 'JPEG quality' },
} as const;

export type SettingField = keyof typeof limits;

export function isSettingField(name: string | undefined): name is SettingField {
  return name === 'fps' || name === 'quality';
}

/** Parses the text of a number input; returns the value or a message saying what is accepted. */
export function parseSetting(field: SettingField, text: string): { value: number; error?: never } | { error: string } {
  const { min, max, label } = limits[field];
  const trimmed = text.trim();
  const accepted = `${label} must be a whole number from ${min} to ${max}.`;
  if (!/^\d+$/.test(trimmed)) return { error: accepted };
  const value = Number(trimmed);
  if (value < min || value > max) return { error: accepted };
  return { value };
}

export function matchingPreset(fpsText: string, qualityText: string): Preset | undefined {
  return presets.find((p) => String(p.fps) === fpsText.trim() && String(p.quality) === qualityText.trim());
}

// The viewer's bandwidth cap (?max_kbps on the tile feed): this browser's choice, not the broadcast's, so it is
// kept in localStorage and applies to every later visit of the page.
export interface BandwidthCap {
  /** null: no cap. */
  kbps: number | null;
  label: string;
}

export const bandwidthCaps: readonly BandwidthCap[] = [
  { kbps: null, label: 'Unlimited' },
  { kbps: 10000, label: '10 Mbit/s' },
  { kbps: 2000, label: '2 Mbit/s' },
  { kbps: 500, label: '500 kbit/s' },
];

const bandwidthCapKey = 'redred.screen.maxKbps';

export function loadBandwidthCap(storage: Storage | undefined = safeLocalStorage()): number | null {
  const stored = readItem(storage, bandwidthCapKey);
  return bandwidthCaps.find((cap) => cap.kbps !== null && String(cap.kbps) === stored)?.kbps ?? null;
}

export function saveBandwidthCap(kbps: number | null, storage: Storage | undefined = safeLocalStorage()): void {
  try {
    if (kbps === null) storage?.removeItem(bandwidthCapKey);
    else storage?.setItem(bandwidthCapKey, String(kbps));
  } catch {
    // Storage full or blocked (private mode, policy): the choice still holds for this visit.
  }
}

function readItem(storage: Storage | undefined, key: string): string | null {
  try {
    return storage?.getItem(key) ?? null;
  } catch {
    return null;
  }
}

function safeLocalStorage(): Storage | undefined {
  try {
    return window.localStorage;
  } catch {
    return undefined; // blocked by the browser's settings
  }
}
