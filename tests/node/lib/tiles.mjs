// Helpers for tests of the tile-mode screen feed (GET /stream/ws?mode=tiles, README "Tile mode"): build and
// parse its binary messages, make JPEG tiles, and read the pixels the Screen page drew on its canvas.
import jpeg from 'jpeg-js';

const MAGIC = 'RRTL';
const HEADER_BYTES = 24;
const TILE_RECORD_BYTES = 12;

// One tile message as the server sends it. tiles: [{ x, y, w, h, jpeg: Buffer }].
export function encodeTileMessage({ key = false, seq = 1, width, height, capturedAt = Date.now(), tiles, version = 1 }) {
  const header = Buffer.alloc(HEADER_BYTES);
  header.write(MAGIC, 0, 'latin1');
  header.writeUInt8(version, 4);
  header.writeUInt8(key ? 1 : 0, 5);
  header.writeUInt16LE(tiles.length, 6);
  header.writeUInt32LE(seq, 8);
  header.writeUInt16LE(width, 12);
  header.writeUInt16LE(height, 14);
  header.writeBigUInt64LE(BigInt(capturedAt), 16);
  const parts = [header];
  for (const tile of tiles) {
    const record = Buffer.alloc(TILE_RECORD_BYTES);
    record.writeUInt16LE(tile.x, 0);
    record.writeUInt16LE(tile.y, 2);
    record.writeUInt16LE(tile.w, 4);
    record.writeUInt16LE(tile.h, 6);
    record.writeUInt32LE(tile.jpeg.length, 8);
    parts.push(record, tile.jpeg);
  }
  return Buffer.concat(parts);
}

// Header and tile geometry of a message received from the server; throws on anything that breaks the layout.
export function parseTileMessage(buffer) {
  if (buffer.length < HEADER_BYTES || buffer.toString('latin1', 0, 4) !== MAGIC) throw new Error('not a tile message');
  const message = {
    version: buffer.readUInt8(4),
    key: (buffer.readUInt8(5) & 1) === 1,
    seq: buffer.readUInt32LE(8),
    width: buffer.readUInt16LE(12),
    height: buffer.readUInt16LE(14),
    capturedAt: Number(buffer.readBigUInt64LE(16)),
    bytes: buffer.length,
    tiles: [],
  };
  const count = buffer.readUInt16LE(6);
  let offset = HEADER_BYTES;
  for (let i = 0; i < count; i++) {
    if (offset + TILE_RECORD_BYTES > buffer.length) throw new Error(`tile ${i}: header cut short`);
    const tile = {
      x: buffer.readUInt16LE(offset),
      y: buffer.readUInt16LE(offset + 2),
      w: buffer.readUInt16LE(offset + 4),
      h: buffer.readUInt16LE(offset + 6),
      jpegBytes: buffer.readUInt32LE(offset + 8),
      jpegOffset: offset + TILE_RECORD_BYTES,
    };
    offset += TILE_RECORD_BYTES + tile.jpegBytes;
    if (offset > buffer.length) throw new Error(`tile ${i}: JPEG cut short`);
    message.tiles.push(tile);
  }
  if (offset !== buffer.length) throw new Error(`${buffer.length - offset} bytes after the last tile`);
  return message;
}

// Whether the union of the message's tiles covers every pixel of rect { x, y, w, h }.
export function tilesCover(message, rect) {
  for (let y = rect.y; y < rect.y + rect.h; y++) {
    for (let x = rect.x; x < rect.x + rect.w; x++) {
      if (!message.tiles.some((t) => x >= t.x && x < t.x + t.w && y >= t.y && y < t.y + t.h)) return false;
    }
  }
  return true;
}

export function solidJpeg(width, height, [r, g, b], quality = 95) {
  const data = Buffer.alloc(width * height * 4);
  for (let i = 0; i < data.length; i += 4) {
    data[i] = r;
    data[i + 1] = g;
    data[i + 2] = b;
    data[i + 3] = 255;
  }
  return jpeg.encode({ data, width, height }, quality).data;
}

// A JPEG that is slow to decode for its size: random pixels at top quality.
export function noiseJpeg(width, height) {
  const data = Buffer.alloc(width * height * 4);
  for (let i = 0; i < data.length; i++) data[i] = (i & 3) === 3 ? 255 : Math.floor(Math.random() * 256);
  return jpeg.encode({ data, width, height }, 100).data;
}

const CANVAS = '[data-testid="live-view"]';

// [r, g, b] of the Screen page's canvas at (x, y) in screen pixels, or null when there is no visible canvas.
export async function canvasPixel(page, x, y) {
  return page.evaluate(
    ([selector, px, py]) => {
      const canvas = document.querySelector(selector);
      if (!(canvas instanceof HTMLCanvasElement) || canvas.hidden || px >= canvas.width || py >= canvas.height) return null;
      const d = canvas.getContext('2d').getImageData(px, py, 1, 1).data;
      return [d[0], d[1], d[2]];
    },
    [CANVAS, x, y],
  );
}

export function colourNear(actual, expected, tolerance = 24) {
  return Array.isArray(actual) && actual.every((v, i) => Math.abs(v - expected[i]) <= tolerance);
}

// Waits until every point [x, y] shows `rgb` on the canvas (within `tolerance` per channel).
export async function waitForCanvasColour(page, points, rgb, { tolerance = 24, timeout = 15000, what = '' } = {}) {
  try {
    await page.waitForFunction(
      ([selector, pts, expected, tol]) => {
        const canvas = document.querySelector(selector);
        if (!(canvas instanceof HTMLCanvasElement) || canvas.hidden) return false;
        const context = canvas.getContext('2d');
        return pts.every(([x, y]) => {
          if (x >= canvas.width || y >= canvas.height) return false;
          const d = context.getImageData(x, y, 1, 1).data;
          return expected.every((v, i) => Math.abs(d[i] - v) <= tol);
        });
      },
      [CANVAS, points, rgb, tolerance],
      { timeout, polling: 50 },
    );
  } catch (error) {
    const seen = await Promise.all(points.map(([x, y]) => canvasPixel(page, x, y).catch(() => null)));
    throw new Error(`${what} expected rgb(${rgb}) at ${JSON.stringify(points)}, canvas shows ${JSON.stringify(seen)}`, { cause: error });
  }
}

// Luma spread over a grid of canvas pixels: a real picture is far from one flat colour.
export async function canvasLumaStats(page, step = 16) {
  return page.evaluate(
    ([selector, s]) => {
      const canvas = document.querySelector(selector);
      const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
      let sum = 0;
      let sumSquares = 0;
      let n = 0;
      for (let y = 0; y < canvas.height; y += s) {
        for (let x = 0; x < canvas.width; x += s) {
          const i = (y * canvas.width + x) * 4;
          const luma = 0.299 * data[i] + 0.587 * data[i + 1] + 0.114 * data[i + 2];
          sum += luma;
          sumSquares += luma * luma;
          n += 1;
        }
      }
      const mean = sum / n;
      return { mean: Math.round(mean), stddev: Math.round(Math.sqrt(Math.max(sumSquares / n - mean * mean, 0))) };
    },
    [CANVAS, step],
  );
}

// The numbers the Screen page shows beside the picture ('—' reads as null).
export async function feedStats(page) {
  return page.evaluate(() => {
    const read = (id) => {
      const text = document.querySelector(`[data-testid="${id}"]`)?.textContent ?? '';
      const value = Number(text);
      return text.trim() === '' || Number.isNaN(value) ? null : value;
    };
    return { frames: read('frames-received'), fps: read('measured-fps'), kbps: read('measured-kbps'), latencyMs: read('latency-ms') };
  });
}
