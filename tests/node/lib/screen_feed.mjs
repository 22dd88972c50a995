// Clients of the screen feed for tests and benchmarks: paint_screen driven over stdin, a tile-mode viewer that
// composes the picture it is sent (decoded pixels, as a browser would draw them), and counters for the
// full-frame feeds (SSE, MJPEG, plain WebSocket).
import { spawn } from 'node:child_process';
import path from 'node:path';
import jpeg from 'jpeg-js';
import WebSocket from 'ws';
import { buildDir, stopProcess, waitFor } from './redred.mjs';
import { parseTileMessage } from './tiles.mjs';

export const paintScreenBin = path.join(buildDir, 'tests', 'paint_screen');

// tests/tools/paint_screen on `display`: `args` picks a scene (default: four quadrants, red green / blue white).
// Each command resolves once paint_screen answers `ok` (the drawing has reached the X server).
export async function startPainter(display, args = []) {
  const proc = spawn(paintScreenBin, args, { env: { ...process.env, DISPLAY: display }, stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  let answers = [];
  proc.stdout.on('data', (chunk) => {
    output += chunk;
    answers = output.split('\n').map((l) => l.trim()).filter((l) => l === 'ok' || l.startsWith('error:'));
  });
  proc.stderr.on('data', (chunk) => { output += chunk; });
  await waitFor(() => {
    if (proc.exitCode !== null) throw Object.assign(new Error(`paint_screen exited: ${output}`), { fatal: true });
    return output.includes('painted');
  }, { timeoutMs: 5000, what: 'paint_screen' });
  let queue = Promise.resolve();
  const command = (line) => {
    const run = queue.then(async () => {
      const index = answers.length;
      proc.stdin.write(`${line}\n`);
      const answer = await waitFor(() => {
        if (proc.exitCode !== null) throw Object.assign(new Error(`paint_screen exited: ${output}`), { fatal: true });
        return answers[index];
      }, { timeoutMs: 5000, intervalMs: 5, what: `paint_screen to answer "${line}"` });
      if (answer !== 'ok') throw new Error(`paint_screen answered "${answer}" to "${line}"`);
    });
    queue = run.catch(() => {});
    return run;
  };
  return {
    command,
    fill: ([r, g, b]) => command(`fill ${r} ${g} ${b}`),
    rect: ({ x, y, w, h }, [r, g, b]) => command(`rect ${x} ${y} ${w} ${h} ${r} ${g} ${b}`),
    warp: (x, y) => command(`warp ${x} ${y}`),
    stop: () => stopProcess(proc),
  };
}

// A tile-mode viewer: `messages` are the parsed messages (with `receivedAt`), `picture` the composed RGBA
// pixels. Pass decode: false to count bytes only (benchmarks).
export class TileViewer {
  static async open(baseUrl, { query = '', decode = true } = {}) {
    const viewer = new TileViewer(decode);
    await viewer.#connect(baseUrl.replace(/^http/, 'ws') + '/stream/ws?mode=tiles' + query);
    return viewer;
  }

  constructor(decode) {
    this.decode = decode;
    this.messages = [];
    this.texts = [];
    this.bytes = 0;
    this.width = 0;
    this.height = 0;
    this.picture = null;
    this.closed = false;
  }

  #connect(url) {
    return new Promise((resolve, reject) => {
      this.ws = new WebSocket(url);
      this.ws.binaryType = 'nodebuffer';
      this.ws.on('open', resolve);
      this.ws.on('error', reject);
      this.ws.on('close', () => { this.closed = true; });
      this.ws.on('message', (data, isBinary) => {
        if (!isBinary) {
          this.texts.push(data.toString());
          return;
        }
        this.bytes += data.length;
        const message = parseTileMessage(data);
        message.receivedAt = Date.now();
        this.messages.push(message);
        if (this.decode) this.#draw(data, message);
      });
    });
  }

  #draw(buffer, message) {
    if (message.key && (message.width !== this.width || message.height !== this.height || !this.picture)) {
      this.width = message.width;
      this.height = message.height;
      this.picture = Buffer.alloc(this.width * this.height * 4);
    }
    if (!this.picture) throw new Error('a delta before any key frame');
    message.tiles.forEach((tile, i) => {
      const image = jpeg.decode(buffer.subarray(tile.jpegOffset, tile.jpegOffset + tile.jpegBytes), { useTArray: true });
      if (image.width !== tile.w || image.height !== tile.h) throw new Error(`tile ${i} is ${image.width}x${image.height}, header says ${tile.w}x${tile.h}`);
      for (let row = 0; row < tile.h; row++) {
        const from = row * tile.w * 4;
        this.picture.set(image.data.subarray(from, from + tile.w * 4), ((tile.y + row) * this.width + tile.x) * 4);
      }
    });
  }

  pixel(x, y) {
    const i = (y * this.width + x) * 4;
    return [this.picture[i], this.picture[i + 1], this.picture[i + 2]];
  }

  requestKeyFrame() { this.ws.send(JSON.stringify({ type: 'key_frame' })); }

  async waitForMessages(count, { timeoutMs = 5000 } = {}) {
    await waitFor(() => this.messages.length >= count, { timeoutMs, intervalMs: 5, what: `${count} tile messages` });
    return this.messages[count - 1];
  }

  close() { this.ws.close(); }
}

// Counts the pictures of a full-frame feed: 'sse' (/stream/feed, data events, and comment lines separately),
// 'mjpeg' (/stream/mjpeg parts) or 'ws' (/stream/ws binary messages). `frames` holds the JPEG bytes of each.
export async function openFrameCounter(baseUrl, transport, { query = '' } = {}) {
  const counter = { frames: [], comments: 0, bytes: 0, texts: [], close: () => {} };
  if (transport === 'ws') {
    const ws = new WebSocket(baseUrl.replace(/^http/, 'ws') + '/stream/ws' + query);
    ws.binaryType = 'nodebuffer';
    ws.on('message', (data, isBinary) => {
      if (!isBinary) return counter.texts.push(data.toString());
      counter.bytes += data.length;
      counter.frames.push(data);
    });
    await new Promise((resolve, reject) => { ws.on('open', resolve); ws.on('error', reject); });
    counter.close = () => ws.close();
    return counter;
  }
  const controller = new AbortController();
  const res = await fetch(baseUrl + (transport === 'sse' ? '/stream/feed' : '/stream/mjpeg') + query, { signal: controller.signal });
  counter.status = res.status;
  counter.close = () => controller.abort();
  if (res.status !== 200) {
    counter.body = await res.text();
    return counter;
  }
  (async () => {
    let pending = Buffer.alloc(0);
    try {
      for await (const chunk of res.body) {
        counter.bytes += chunk.length;
        pending = Buffer.concat([pending, chunk]);
        if (transport === 'sse') {
          let end;
          while ((end = pending.indexOf('\n\n')) >= 0) {
            const block = pending.subarray(0, end).toString();
            pending = pending.subarray(end + 2);
            if (block.startsWith(':')) counter.comments += 1;
            else if (block.startsWith('data: ')) {
              const data = block.slice(6);
              if (data === 'stream_stopped') counter.texts.push(data);
              else counter.frames.push(Buffer.from(data, 'base64'));
            }
          }
        } else {
          for (;;) {
            const head = pending.indexOf('\r\n\r\n');
            if (head < 0) break;
            const length = /Content-Length: (\d+)/.exec(pending.subarray(0, head).toString());
            if (!length) break;
            const end = head + 4 + Number(length[1]);
            if (pending.length < end + 2) break;
            counter.frames.push(pending.subarray(head + 4, end));
            pending = pending.subarray(end + 2);
          }
        }
      }
    } catch (e) {
      if (e.name !== 'AbortError') counter.error = e;
    }
    counter.ended = true;
  })();
  return counter;
}

export function decodePicture(bytes) {
  const image = jpeg.decode(bytes, { useTArray: true });
  image.pixel = (x, y) => {
    const i = (y * image.width + x) * 4;
    return [image.data[i], image.data[i + 1], image.data[i + 2]];
  };
  return image;
}

export function near(actual, expected, tolerance = 28) {
  return actual.every((v, i) => Math.abs(v - expected[i]) <= tolerance);
}

// Prometheus text to { 'name{labels}': value }.
export async function metrics(baseUrl) {
  const text = await (await fetch(baseUrl + '/metrics')).text();
  const out = {};
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out[line.slice(0, at)] = Number(line.slice(at + 1));
  }
  return out;
}
