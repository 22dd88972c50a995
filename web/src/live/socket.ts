// The one WebSocket of a page on /ws/live/<id>/ (docs/PROTOCOL.md). Same-origin, so the session cookie
// authenticates it. Reconnects by itself after a lost connection (backoff 1 s … 10 s; within a second when the
// server process is restarting, close 1012, since another process behind the load balancer can take it), and stops for good
// when the server says the stream ended, the user was kicked, or another tab replaced this one.
import { ApiError } from '../api/http';
import { isRecord } from '../api/http';
import { getLiveStream } from '../api/live';

export type ServerMessage = Record<string, unknown> & { type: string };
export type SocketPhase = 'connecting' | 'open' | 'reconnecting' | 'finished';
export type FinishReason = 'ended' | 'kicked' | 'replaced' | 'not_found' | 'stopped';

export interface LiveSocketHandlers {
  onMessage: (message: ServerMessage) => void;
  onPhase: (phase: SocketPhase, retryInMs: number | null) => void;
  onFinish: (reason: FinishReason) => void;
}

const connectTimeoutMs = 10_000;
const maxBackoffMs = 10_000;
// Close code 1012 (service restart): the process is draining; reconnect soon, spread so a drained process's
// clients do not all arrive in the same instant.
const closeServiceRestart = 1012;
const restartDelayMs = () => 250 + Math.random() * 500;

export class LiveSocket {
  private readonly streamId: number;
  private readonly handlers: LiveSocketHandlers;
  private ws: WebSocket | null = null;
  private attempt = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private connectTimer: ReturnType<typeof setTimeout> | undefined;
  private finished: FinishReason | null = null;
  // Set by a message that announces the close that follows it (stream_ended, kicked, error replaced).
  private announced: FinishReason | null = null;

  constructor(streamId: number, handlers: LiveSocketHandlers) {
    this.streamId = streamId;
    this.handlers = handlers;
  }

  start(): void {
    if (this.finished !== null || this.ws !== null) return;
    this.connect();
  }

  /** Closes for good (page left, or the stream is over). */
  stop(): void {
    this.finish('stopped');
  }

  /** Drops the current connection and connects again at once, e.g. when media failed to connect. */
  reconnectNow(): void {
    if (this.finished !== null) return;
    this.dropSocket();
    clearTimeout(this.retryTimer);
    this.attempt = 0;
    this.connect();
  }

  /** Sends one message; false when not connected (the caller shows that, nothing is queued). */
  send(message: Record<string, unknown>): boolean {
    if (this.ws?.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(message));
    return true;
  }

  get connected(): boolean {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  private connect(): void {
    this.announced = null;
    this.handlers.onPhase(this.attempt === 0 ? 'connecting' : 'reconnecting', null);
    const scheme = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(`${scheme}//${window.location.host}/ws/live/${this.streamId}/`);
    this.ws = ws;
    this.connectTimer = setTimeout(() => {
      if (ws.readyState === WebSocket.CONNECTING) ws.close();
    }, connectTimeoutMs);
    ws.onmessage = (event: MessageEvent) => {
      if (this.ws !== ws || typeof event.data !== 'string') return;
      let parsed: unknown;
      try {
        parsed = JSON.parse(event.data);
      } catch {
        return;
      }
      // The server batches: one object or an array of objects per frame.
      for (const item of Array.isArray(parsed) ? parsed : [parsed]) {
        if (!isRecord(item) || typeof item.type !== 'string') continue;
        const message = item as ServerMessage;
        if (message.type === 'connection_established') {
          this.attempt = 0;
          clearTimeout(this.connectTimer);
          this.handlers.onPhase('open', null);
        } else if (message.type === 'stream_ended') this.announced = 'ended';
        else if (message.type === 'kicked') this.announced = 'kicked';
        else if (message.type === 'error' && message.error === 'replaced') this.announced = 'replaced';
        this.handlers.onMessage(message);
      }
    };
    ws.onclose = (event: CloseEvent) => {
      if (this.ws !== ws) return;
      clearTimeout(this.connectTimer);
      this.ws = null;
      if (this.finished !== null) return;
      const reason =
        this.announced ?? (event.code === 4001 ? 'kicked' : event.code === 4002 ? 'replaced' : null);
      if (reason !== null) {
        this.finish(reason);
        return;
      }
      void this.afterUnexpectedClose(event.code === closeServiceRestart);
    };
  }

  // A refusal before the upgrade (unknown stream) looks like any dropped connection: ask REST why.
  private async afterUnexpectedClose(serverRestarting: boolean): Promise<void> {
    try {
      const stream = await getLiveStream(this.streamId);
      if (stream.status === 'ended') {
        this.finish('ended');
        return;
      }
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) {
        this.finish('not_found');
        return;
      }
    }
    if (this.finished !== null) return;
    const delay = serverRestarting ? restartDelayMs() : Math.min(1000 * 2 ** this.attempt, maxBackoffMs);
    if (!serverRestarting) this.attempt += 1;
    this.handlers.onPhase('reconnecting', delay);
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  private dropSocket(): void {
    const ws = this.ws;
    this.ws = null;
    clearTimeout(this.connectTimer);
    if (ws !== null) {
      ws.onmessage = null;
      ws.onclose = null;
      ws.close();
    }
  }

  private finish(reason: FinishReason): void {
    if (this.finished !== null) return;
    this.finished = reason;
    clearTimeout(this.retryTimer);
    this.dropSocket();
    this.handlers.onPhase('finished', null);
    this.handlers.onFinish(reason);
  }
}
