import type { StreamStatus } from '../../api/stream';

const timeFormat = new Intl.DateTimeFormat(undefined, {
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
});

/** "Live · 15 fps · quality 75 · since 12:03:41 · served by 127.0.0.1:8080", or "Stopped". */
export function describeStatus(status: StreamStatus): string {
  if (!status.active) return 'Stopped';
  const parts = ['Live'];
  if (status.fps !== null) parts.push(`${status.fps} fps`);
  if (status.quality !== null) parts.push(`quality ${status.quality}`);
  if (status.startedAt !== null) parts.push(`since ${timeFormat.format(status.startedAt)}`);
  const address = formatAddress(status.host, status.port);
  if (address !== null) parts.push(`served by ${address}`);
  return parts.join(' · ');
}

export function formatAddress(host: string | null, port: number | null): string | null {
  if (host === null || host === '') return null;
  const shownHost = host.includes(':') ? `[${host}]` : host; // IPv6
  return port === null ? shownHost : `${shownHost}:${port}`;
}
