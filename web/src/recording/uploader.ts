// Uploads a recording's bytes in order, one PUT per piece (docs/API.md "Recording"). Resumable: network
// errors, timeouts and 5xx are retried with backoff; a 200 for a seq the server already has counts as done;
// a 409 with `next_seq` resyncs (pieces the server already holds are dropped). Pieces stay in memory until
// the server has them. Blobs larger than `maxPieceBytes` are split: the file is the concatenation of the
// pieces, so any split is fine and keeps every body far below the server's 1 MiB limit.
import { putRecordingChunk } from '../api/recording';

export interface UploadStatus {
  /** Bytes the server has confirmed. */
  uploadedBytes: number;
  /** Pieces recorded but not yet confirmed. */
  pending: number;
  pendingBytes: number;
  /** Set while a retry is scheduled: why, and when the next attempt is (ms since epoch). */
  retry: { message: string; at: number } | null;
  /** Set when uploading stopped for good. */
  fatal: string | null;
}

interface Piece {
  seq: number;
  blob: Blob;
}

const maxPieceBytes = 512 * 1024;
const backoffMs = [1000, 2000, 4000, 8000, 15000];

export class ChunkUploader {
  private readonly queue: Piece[] = [];
  private nextSeq = 0;
  private running = false;
  private closed = false;
  private failures = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private retryNow: (() => void) | null = null;
  private readonly abort = new AbortController();
  private readonly idleWaiters = new Set<() => void>();
  private status: UploadStatus = { uploadedBytes: 0, pending: 0, pendingBytes: 0, retry: null, fatal: null };

  constructor(
    private readonly streamId: number,
    private readonly mimeType: string,
    private readonly onStatus: (status: UploadStatus) => void,
    private readonly onFatal: (message: string) => void = () => {},
  ) {}

  get current(): UploadStatus {
    return this.status;
  }

  add(blob: Blob): void {
    if (this.closed || blob.size === 0) return;
    for (let offset = 0; offset < blob.size; offset += maxPieceBytes) {
      this.queue.push({ seq: this.nextSeq++, blob: blob.slice(offset, Math.min(blob.size, offset + maxPieceBytes)) });
    }
    this.update({});
    void this.run(); // no-op while the loop runs (or waits out a retry)
  }

  /** Resolves once everything queued is confirmed, or after `timeoutMs` (returns false then). */
  flush(timeoutMs: number): Promise<boolean> {
    if (this.queue.length === 0 || this.closed) return Promise.resolve(this.queue.length === 0);
    // Retry right away instead of waiting out a long backoff.
    this.retryNow?.();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.idleWaiters.delete(done);
        resolve(this.queue.length === 0);
      };
      const timer = setTimeout(done, timeoutMs);
      this.idleWaiters.add(done);
    });
  }

  /** Stops uploading; whatever is still queued is dropped. */
  close(): void {
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.abort.abort();
    for (const waiter of [...this.idleWaiters]) waiter();
  }

  private update(change: Partial<UploadStatus>): void {
    const pendingBytes = this.queue.reduce((sum, piece) => sum + piece.blob.size, 0);
    this.status = { ...this.status, ...change, pending: this.queue.length, pendingBytes };
    this.onStatus(this.status);
    if (this.queue.length === 0) for (const waiter of [...this.idleWaiters]) waiter();
  }

  private async run(): Promise<void> {
    if (this.running || this.closed) return;
    this.running = true;
    try {
      while (!this.closed && this.queue.length > 0) {
        const piece = this.queue[0]!;
        let answer;
        try {
          answer = await putRecordingChunk(this.streamId, piece.seq, piece.blob, this.mimeType, this.abort.signal);
        } catch {
          return; // closed
        }
        if (this.closed) return;
        switch (answer.kind) {
          case 'stored': {
            this.queue.shift();
            this.failures = 0;
            const confirmed = answer.recording?.bytes ?? this.status.uploadedBytes + piece.blob.size;
            this.update({ uploadedBytes: Math.max(confirmed, this.status.uploadedBytes), retry: null });
            break;
          }
          case 'resync': {
            if (answer.nextSeq > piece.seq) {
              // The server already has these pieces (an earlier attempt was stored but its answer was lost).
              while (this.queue.length > 0 && this.queue[0]!.seq < answer.nextSeq) this.queue.shift();
              this.update({ retry: null });
            } else {
              this.fail(`The server is missing part of the recording (it expects piece ${answer.nextSeq}, the oldest one still here is ${piece.seq}). Recording stopped.`);
              return;
            }
            break;
          }
          case 'retry': {
            const delay = backoffMs[Math.min(this.failures, backoffMs.length - 1)]!;
            this.failures += 1;
            const why = answer.status === 0 ? `Upload interrupted: ${answer.message}` : `The server did not take the recording (${answer.message})`;
            this.update({ retry: { message: why, at: Date.now() + delay } });
            await new Promise<void>((resolve) => {
              const done = () => {
                clearTimeout(this.retryTimer);
                this.retryTimer = undefined;
                this.retryNow = null;
                this.abort.signal.removeEventListener('abort', done);
                resolve();
              };
              this.retryTimer = setTimeout(done, delay);
              this.retryNow = done; // flush() retries at once
              this.abort.signal.addEventListener('abort', done, { once: true });
            });
            break;
          }
          case 'fatal':
            this.fail(describeFatal(answer.status, answer.message));
            return;
        }
      }
    } finally {
      this.running = false;
    }
  }

  private fail(message: string): void {
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.update({ fatal: message, retry: null });
    for (const waiter of [...this.idleWaiters]) waiter();
    this.onFatal(message);
  }
}

function describeFatal(status: number, message: string): string {
  switch (status) {
    case 401:
      return 'Recording stopped: you are signed out. Sign in again in another tab; the stream itself goes on.';
    case 403:
      return `Recording stopped: the server refused the upload (${message}).`;
    case 404:
      return 'Recording stopped: the server does not know this stream any more.';
    case 413:
      return `Recording stopped: the recording reached the server's size limit (${message}). What was uploaded is kept.`;
    default:
      return `Recording stopped: ${message}`;
  }
}
