// Records what the studio broadcasts and uploads it while live. MediaRecorder records one MediaStream whose
// tracks this module owns: a canvas (the current video source drawn into a fixed 1280×720 frame) and a
// WebAudio destination (the current microphone connected into it). Switching the source (`setSource`, the
// same moment the peers get `replaceTrack`) only changes what is drawn and connected, so one recording with
// one WebM header covers the whole stream. Pausing keeps the same file; `stop` flushes the last chunk.
import { ChunkUploader, type UploadStatus } from './uploader';

export type RecorderPhase = 'recording' | 'paused' | 'stopping' | 'stopped' | 'failed';

export interface RecorderStatus extends UploadStatus {
  phase: RecorderPhase;
  mimeType: string;
  /** Bytes MediaRecorder produced so far. */
  recordedBytes: number;
}

const width = 1280;
const height = 720;
const fps = 25;
export const videoBitsPerSecond = 2_000_000; // ≈ 250 KB per 1 s chunk: far below the 1 MiB body limit
const timesliceMs = 1000;
const mimeCandidates = ['video/webm;codecs=vp8,opus', 'video/webm;codecs=vp9,opus', 'video/webm;codecs=vp8', 'video/webm'];

export class RecordingUnsupportedError extends Error {}

export function pickMimeType(): string {
  if (typeof MediaRecorder === 'undefined') throw new RecordingUnsupportedError('This browser cannot record video (no MediaRecorder). Use a recent Chrome, Edge or Firefox.');
  const type = mimeCandidates.find((candidate) => MediaRecorder.isTypeSupported(candidate));
  if (type === undefined) throw new RecordingUnsupportedError('This browser cannot record WebM video. Use a recent Chrome, Edge or Firefox.');
  return type;
}

export class StudioRecorder {
  private readonly canvas = document.createElement('canvas');
  private readonly context: CanvasRenderingContext2D | null;
  private readonly source = document.createElement('video');
  private readonly audioContext: AudioContext | null;
  private readonly audioOut: MediaStreamAudioDestinationNode | null;
  private audioIn: MediaStreamAudioSourceNode | null = null;
  private readonly stopTicker: () => void;
  private readonly recorder: MediaRecorder;
  private readonly uploader: ChunkUploader;
  private phase: RecorderPhase = 'recording';
  private recordedBytes = 0;
  private stopped: Promise<void> | null = null;

  constructor(
    streamId: number,
    video: MediaStreamTrack | null,
    audio: MediaStreamTrack | null,
    private readonly onStatus: (status: RecorderStatus) => void,
  ) {
    const mimeType = pickMimeType();
    this.canvas.width = width;
    this.canvas.height = height;
    this.context = this.canvas.getContext('2d');
    this.source.muted = true;
    this.source.playsInline = true;
    const mixer = openAudio();
    this.audioContext = mixer?.context ?? null;
    this.audioOut = mixer?.out ?? null;
    this.setSource(video, audio);
    this.draw();
    this.stopTicker = startTicker(fps, () => this.draw());

    const videoTrack = this.canvas.captureStream(fps).getVideoTracks()[0];
    if (videoTrack === undefined) throw new RecordingUnsupportedError('This browser cannot record the broadcast (no canvas capture).');
    const tracks: MediaStreamTrack[] = [videoTrack, ...(this.audioOut?.stream.getAudioTracks() ?? [])];
    this.recorder = new MediaRecorder(new MediaStream(tracks), { mimeType, videoBitsPerSecond, audioBitsPerSecond: 128_000 });
    this.uploader = new ChunkUploader(
      streamId,
      mimeType.split(';')[0] ?? 'video/webm',
      () => this.emit(),
      () => {
        this.phase = 'failed';
        this.halt();
        this.emit();
      },
    );
    this.recorder.ondataavailable = (event) => {
      this.recordedBytes += event.data.size;
      this.uploader.add(event.data);
    };
    this.recorder.onerror = () => {
      this.phase = 'failed';
      this.halt();
      this.emit();
    };
    this.recorder.start(timesliceMs);
    this.emit();
  }

  get mimeType(): string {
    return this.recorder.mimeType;
  }

  /** The studio switched its source: draw and hear the new tracks from now on. */
  setSource(video: MediaStreamTrack | null, audio: MediaStreamTrack | null): void {
    const wanted = video === null ? null : video;
    const current = (this.source.srcObject as MediaStream | null)?.getVideoTracks()[0] ?? null;
    if (wanted !== current) {
      this.source.srcObject = wanted === null ? null : new MediaStream([wanted]);
      if (wanted !== null) void this.source.play().catch(() => {});
    }
    if (this.audioContext !== null && this.audioOut !== null) {
      const currentAudio = this.audioIn?.mediaStream.getAudioTracks()[0] ?? null;
      if (currentAudio !== audio) {
        this.audioIn?.disconnect();
        this.audioIn = null;
        if (audio !== null) {
          this.audioIn = this.audioContext.createMediaStreamSource(new MediaStream([audio]));
          this.audioIn.connect(this.audioOut);
        }
      }
    }
  }

  pause(): void {
    if (this.phase !== 'recording') return;
    this.recorder.pause();
    this.recorder.requestData(); // upload what was recorded before the pause now
    this.phase = 'paused';
    this.emit();
  }

  resume(): void {
    if (this.phase !== 'paused') return;
    this.recorder.resume();
    this.phase = 'recording';
    this.emit();
  }

  /** Stops recording and waits (at most `timeoutMs`) for the last chunk to reach the server. True if all did. */
  stop(timeoutMs: number): Promise<boolean> {
    if (this.stopped === null) {
      const deadline = Date.now() + timeoutMs;
      this.stopped = (async () => {
        if (this.recorder.state !== 'inactive') {
          if (this.phase !== 'failed') this.phase = 'stopping';
          this.emit();
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, Math.min(2000, timeoutMs));
            this.recorder.addEventListener(
              'stop',
              () => {
                clearTimeout(timer);
                resolve();
              },
              { once: true },
            );
            this.recorder.stop(); // fires the last dataavailable, then stop
          });
        }
        this.halt();
        await this.uploader.flush(Math.max(0, deadline - Date.now()));
        if (this.phase !== 'failed') this.phase = 'stopped';
        this.uploader.close();
        this.emit();
      })();
    }
    return this.stopped.then(() => this.uploader.current.pending === 0 && this.uploader.current.fatal === null);
  }

  /** Drops everything at once (the page goes away). */
  dispose(): void {
    if (this.recorder.state !== 'inactive') {
      try {
        this.recorder.stop();
      } catch {
        /* already stopped */
      }
    }
    this.halt();
    this.uploader.close();
  }

  private halt(): void {
    this.stopTicker();
    if (this.recorder.state !== 'inactive') {
      try {
        this.recorder.stop();
      } catch {
        /* already stopped */
      }
    }
    for (const track of this.recorder.stream.getTracks()) track.stop();
    this.source.srcObject = null;
    this.audioIn?.disconnect();
    void this.audioContext?.close().catch(() => {});
  }

  private draw(): void {
    const ctx = this.context;
    if (ctx === null) return;
    const v = this.source;
    if (v.videoWidth === 0 || v.videoHeight === 0) {
      if (v.srcObject === null) {
        ctx.fillStyle = '#000';
        ctx.fillRect(0, 0, width, height);
      }
      return; // between sources: keep the last picture
    }
    const scale = Math.min(width / v.videoWidth, height / v.videoHeight);
    const w = Math.round(v.videoWidth * scale);
    const h = Math.round(v.videoHeight * scale);
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, width, height);
    ctx.drawImage(v, Math.round((width - w) / 2), Math.round((height - h) / 2), w, h);
  }

  private emit(): void {
    this.onStatus({ ...this.uploader.current, phase: this.phase, mimeType: this.recorder.mimeType, recordedBytes: this.recordedBytes });
  }
}

// The mixer the microphone is connected into; null without WebAudio (the recording then has no sound).
function openAudio(): { context: AudioContext; out: MediaStreamAudioDestinationNode } | null {
  try {
    const context = new AudioContext();
    const out = context.createMediaStreamDestination();
    void context.resume().catch(() => {});
    return { context, out };
  } catch {
    return null;
  }
}

// A drawing clock that keeps running in a background tab: timers in a dedicated worker are not throttled
// like the page's own. Falls back to setInterval.
function startTicker(rate: number, tick: () => void): () => void {
  const interval = Math.round(1000 / rate);
  try {
    const url = URL.createObjectURL(new Blob([`setInterval(() => postMessage(0), ${interval});`], { type: 'text/javascript' }));
    const worker = new Worker(url);
    URL.revokeObjectURL(url);
    worker.onmessage = tick;
    return () => worker.terminate();
  } catch {
    const timer = setInterval(tick, interval);
    return () => clearInterval(timer);
  }
}
