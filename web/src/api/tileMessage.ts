// The binary messages of the tile-mode screen feed, GET /stream/ws?mode=tiles (README "Tile mode").
// Pure: bytes in, a typed message or a reason out. Nothing here decodes JPEG or touches the DOM.
//
// Little-endian. Header, 24 bytes: "RRTL", u8 version (1), u8 flags (bit 0: key frame), u16 tile count,
// u32 seq, u16 screen width, u16 screen height, u64 captured_at (Unix ms). Then per tile: u16 x, u16 y,
// u16 w, u16 h, u32 jpeg_length (12 bytes), followed by the JPEG of exactly w×h pixels, drawn at (x, y).

export interface Tile {
  x: number;
  y: number;
  w: number;
  h: number;
  /** The tile's baseline JPEG: a view into the message's buffer, not a copy. */
  jpeg: Uint8Array<ArrayBuffer>;
}

export interface TileMessage {
  /** The tiles cover the whole screen, whose size may have changed. */
  key: boolean;
  /** Number of the screen state this message brings the viewer to. */
  seq: number;
  width: number;
  height: number;
  /** Unix time in ms when that state was captured (server clock). */
  capturedAt: number;
  /** In drawing order: a later tile may overlap an earlier one and wins. */
  tiles: Tile[];
}

export type ParsedTileMessage = { ok: true; message: TileMessage } | { ok: false; error: string };

export const tileHeaderBytes = 24;
export const tileRecordBytes = 12;
export const tileProtocolVersion = 1;
const magic = [0x52, 0x52, 0x54, 0x4c]; // "RRTL"
const keyFrameFlag = 0x01;

/** The text message a viewer sends to ask for a key frame (sent by the server as its next message). */
export const keyFrameRequest = JSON.stringify({ type: 'key_frame' });

export function parseTileMessage(buffer: ArrayBuffer): ParsedTileMessage {
  const view = new DataView(buffer);
  if (buffer.byteLength < tileHeaderBytes) return fail(`message of ${buffer.byteLength} bytes is shorter than the header`);
  for (let i = 0; i < magic.length; i++) {
    if (view.getUint8(i) !== magic[i]) return fail('not a tile message (no RRTL magic)');
  }
  const version = view.getUint8(4);
  if (version !== tileProtocolVersion) return fail(`unsupported tile message version ${version}`);
  const flags = view.getUint8(5);
  const count = view.getUint16(6, true);
  const seq = view.getUint32(8, true);
  const width = view.getUint16(12, true);
  const height = view.getUint16(14, true);
  // Milliseconds since 1970 stay far below 2^53, so two halves give the exact value without BigInt.
  const capturedAt = view.getUint32(16, true) + view.getUint32(20, true) * 2 ** 32;
  if (width === 0 || height === 0) return fail(`empty screen ${width}×${height}`);

  const tiles: Tile[] = [];
  let offset = tileHeaderBytes;
  for (let i = 0; i < count; i++) {
    if (offset + tileRecordBytes > buffer.byteLength) return fail(`tile ${i} of ${count}: header cut short`);
    const x = view.getUint16(offset, true);
    const y = view.getUint16(offset + 2, true);
    const w = view.getUint16(offset + 4, true);
    const h = view.getUint16(offset + 6, true);
    const length = view.getUint32(offset + 8, true);
    offset += tileRecordBytes;
    if (w === 0 || h === 0 || x + w > width || y + h > height) {
      return fail(`tile ${i} (${w}×${h} at ${x},${y}) is not inside the ${width}×${height} screen`);
    }
    if (length === 0 || offset + length > buffer.byteLength) return fail(`tile ${i} of ${count}: JPEG cut short`);
    tiles.push({ x, y, w, h, jpeg: new Uint8Array(buffer, offset, length) });
    offset += length;
  }
  if (offset !== buffer.byteLength) return fail(`${buffer.byteLength - offset} bytes after the last tile`);
  return { ok: true, message: { key: (flags & keyFrameFlag) !== 0, seq, width, height, capturedAt, tiles } };
}

function fail(error: string): ParsedTileMessage {
  return { ok: false, error };
}
