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
