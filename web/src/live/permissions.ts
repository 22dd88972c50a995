// The seed's permission table as far as the page needs it (the server decides; this only hides controls
// that would be refused).
import type { Role } from '../api/live';

export const canModerate = (role: Role | undefined) => role === 'streamer' || role === 'moderator';
export const canComment = (role: Role | undefined) => role !== undefined && role !== 'guest';
export const canUseEmotes = (role: Role | undefined) => role === 'streamer' || role === 'moderator' || role === 'vip';

/** Whether `actor` may time out or kick `target` (not the streamer; moderators not on moderators). */
export function canActOn(actor: Role | undefined, target: Role): boolean {
  if (!canModerate(actor) || target === 'streamer') return false;
  return actor === 'streamer' || target !== 'moderator';
}

/** Moderators cannot delete the streamer's comments. */
export function canDeleteComment(actor: Role | undefined, author: Role): boolean {
  if (!canModerate(actor)) return false;
  return actor === 'streamer' || author !== 'streamer';
}

export const roleLabels: Record<Role, string> = {
  streamer: 'Streamer',
  moderator: 'Mod',
  vip: 'VIP',
  viewer: 'Viewer',
  guest: 'Guest',
};

export const timeoutChoices = [
  { seconds: 60, label: '1 min' },
  { seconds: 600, label: '10 min' },
  { seconds: 3600, label: '1 hour' },
];
