import type { TileMessage } from '../api/tileMessage';

export interface TileCanvasEvents {
  /** Ask the server for a key frame: the picture is, or may be, wrong until one is drawn. */
  requestKeyFrame: () => void;
  /** A message's tiles are on the canvas. */
  drawn: (message: TileMessage) => void;
}

// Past this many messages waiting to be drawn the view is seconds late: skip them and start over from a key
// frame instead of replaying the backlog (the server does the same for a viewer that falls behind).
const maxBacklog = 30;

/**
 * Composes tile messages onto a canvas. Each message's tiles start decoding as soon as it arrives (decodes run
 * in parallel), but messages are drawn strictly one after another in arrival order, and a message's tiles in
 * their order, because a later tile overwrites what an earlier one drew.
 *
 * Owned by one feed session (useFrameFeed); lives on the main thread. Invariant: after a skip (backlog, a
 * new canvas, a size mismatch) nothing is drawn until a key frame, so the canvas never shows a delta applied
 * to the wrong base picture. A tile that fails to decode leaves its region stale: a key frame is requested and
 * drawing carries on.
 */
export class TileCanvas {
  private readonly getCanvas: () => HTMLCanvasElement | null;
  private readonly events: TileCanvasEvents;
  private drawing: Promise<void> = Promise.resolve();
  private backlog = 0;
  private awaitingKeyFrame = true; // the first message of a connection is a key frame
  private canvas: HTMLCanvasElement | null = null;
  private context: CanvasRenderingContext2D | null = null;
  private closed = false;

  constructor(getCanvas: () => HTMLCanvasElement | null, events: TileCanvasEvents) {
    this.getCanvas = getCanvas;
    this.events = events;
  }

  push(message: TileMessage): void {
    if (this.closed) return;
    const decoded = Promise.allSettled(
      message.tiles.map((tile) => createImageBitmap(new Blob([tile.jpeg], { type: 'image/jpeg' }))),
    );
    this.backlog += 1;
    if (this.backlog > maxBacklog && !this.awaitingKeyFrame) {
      this.awaitingKeyFrame = true;
      this.events.requestKeyFrame();
    }
    this.drawing = this.drawing.then(async () => {
      const bitmaps = await decoded;
      this.backlog -= 1;
      this.draw(message, bitmaps);
    });
  }

  /** Stops drawing; messages still decoding are dropped. */
  close(): void {
    this.closed = true;
  }

  private draw(message: TileMessage, bitmaps: PromiseSettledResult<ImageBitmap>[]): void {
    try {
      const context = this.closed ? null : this.contextFor(message);
      if (context === null) return;
      let failed = false;
      message.tiles.forEach((tile, i) => {
        const result = bitmaps[i];
        if (result?.status === 'fulfilled') context.drawImage(result.value, tile.x, tile.y, tile.w, tile.h);
        else failed = true;
      });
      if (failed) this.events.requestKeyFrame();
      this.events.drawn(message);
    } finally {
      for (const result of bitmaps) if (result.status === 'fulfilled') result.value.close();
    }
  }

  // The 2D context to draw this message on, or null to skip it (then a key frame has been asked for).
  private contextFor(message: TileMessage): CanvasRenderingContext2D | null {
    const canvas = this.getCanvas();
    if (canvas === null) return null;
    if (canvas !== this.canvas) {
      // A canvas this session has not drawn on (the first one, or the view was remounted) needs a whole picture.
      this.canvas = canvas;
      this.context = canvas.getContext('2d', { alpha: false });
      this.awaitingKeyFrame = true;
      if (!message.key) this.events.requestKeyFrame();
    }
    if (message.key) {
      this.awaitingKeyFrame = false;
      // Setting the size clears the canvas, so only when it changes; the key frame covers all of it anyway.
      if (canvas.width !== message.width) canvas.width = message.width;
      if (canvas.height !== message.height) canvas.height = message.height;
    } else if (this.awaitingKeyFrame) {
      return null;
    } else if (canvas.width !== message.width || canvas.height !== message.height) {
      // A delta for another screen size: only a key frame may change the size.
      this.awaitingKeyFrame = true;
      this.events.requestKeyFrame();
      return null;
    }
    return this.context;
  }
}
