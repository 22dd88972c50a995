// Screen-to-browser latency of the tile-mode screen feed: run by bench/tiles_bench.sh (which starts Xvfb, the
// server and its stream), or by hand against a server that captures DISPLAY and is streaming.
//
// It starts tests/tools/paint_screen on DISPLAY with the desktop scene SCENE (the painter it draws the probes
// with), opens the server's Screen page (/screen, which draws tile messages on its canvas, data-testid
// live-view) in Debian's Chromium through playwright-core, then PROBES times: paints a rectangle of a new colour
// with paint_screen's stdin command `rect X Y W H R G B` and measures the time from just before the command is
// written (Node: performance.timeOrigin + performance.now()) until the canvas pixels in that rectangle show the
// colour (polled inside the page on every requestAnimationFrame; the page reports performance.timeOrigin +
// performance.now() when they match). Both clocks are this machine's; the offset of each to Date.now() is
// recorded. The tile message that brought the change is found among the page's WebSocket frames (its
// captured_at, server clock) to split the time into paint -> capture and capture -> shown.
//
// Prints one JSON line (samples, median / p90 / max) on stdout; progress on stderr. Bounded: every wait has a
// timeout and the whole run gives up after LIMIT_S.
//
// Env: URL (http://127.0.0.1:PORT, required), DISPLAY (required), PAINT_BIN (build/tests/paint_screen),
//      SCENE (static), CPS (30, typing scene), PROBES (30), SETTLE_MS (1500), PROBE_TIMEOUT_MS (3000),
//      LIMIT_S (90), LABEL (free text copied into the output).
import { createRequire } from 'node:module';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { chromiumArgs, chromiumPath } from '../tests/node/lib/browser.mjs';

const require = createRequire(new URL('../tests/package.json', import.meta.url));
const { chromium } = require('playwright-core');

const env = (k, d) => process.env[k] ?? d;
const URL_BASE = env('URL', '');
const DISPLAY = env('DISPLAY', '');
const PAINT_BIN = env('PAINT_BIN', path.resolve(new URL('..', import.meta.url).pathname, 'build/tests/paint_screen'));
const SCENE = env('SCENE', 'static');
const CPS = env('CPS', '30');
const PROBES = Number(env('PROBES', 30));
const SETTLE_MS = Number(env('SETTLE_MS', 1500));
const PROBE_TIMEOUT_MS = Number(env('PROBE_TIMEOUT_MS', 3000));
const LIMIT_S = Number(env('LIMIT_S', 90));
const LABEL = env('LABEL', '');
if (!URL_BASE || !DISPLAY) {
  console.error('tiles_latency: URL and DISPLAY are required');
  process.exit(2);
}
const started = Date.now();
const log = (...a) => console.error(`[tiles_latency ${((Date.now() - started) / 1000).toFixed(1)}s]`, ...a);
const hardStop = setTimeout(() => {
  log(`gave up after ${LIMIT_S} s`);
  process.exit(3);
}, LIMIT_S * 1000);
hardStop.unref();

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const nowMs = () => performance.timeOrigin + performance.now();

// Probe rectangles: away from the pointer (Xvfb puts it at the centre of the screen and the cursor is drawn into
// the picture), the terminal (bottom left, typed into by the typing scene) and the video window (bottom right).
// Consecutive probes at one place use colours far apart, so a match is never the previous probe's colour.
const PLACES = [
  { x: 96, y: 96, w: 96, h: 64 },
  { x: 760, y: 120, w: 96, h: 64 },
  { x: 320, y: 260, w: 96, h: 64 },
  { x: 1040, y: 240, w: 96, h: 64 },
];
const COLOURS = [
  [255, 0, 0], [0, 200, 255], [255, 255, 0], [128, 0, 255],
  [0, 255, 0], [255, 0, 255], [0, 0, 255], [255, 128, 0],
];
const TOLERANCE = 24;

// Inside the rectangle, 8 px from its edges (JPEG blocks may blur the very edge), and its centre.
const pointsOf = ({ x, y, w, h }) => [[x + (w >> 1), y + (h >> 1)], [x + 8, y + 8], [x + w - 9, y + h - 9]];

function startPainter() {
  const proc = spawn(PAINT_BIN, ['--scene', SCENE, '--cps', CPS], { env: { ...process.env, DISPLAY }, stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  const waiters = [];
  proc.stdout.on('data', (chunk) => {
    output += chunk;
    for (;;) {
      const end = output.indexOf('\n');
      if (end < 0) break;
      const line = output.slice(0, end).trim();
      output = output.slice(end + 1);
      if (line === 'ok' || line.startsWith('error:')) waiters.shift()?.(line);
      else if (line.startsWith('painted')) painted = true;
    }
  });
  proc.stderr.on('data', (chunk) => log(`paint_screen: ${String(chunk).trim()}`));
  let painted = false;
  return {
    proc,
    ready: async () => {
      for (let i = 0; i < 100 && !painted; i++) {
        if (proc.exitCode !== null) throw new Error(`paint_screen exited with ${proc.exitCode}`);
        await sleep(50);
      }
      if (!painted) throw new Error('paint_screen did not paint within 5 s');
    },
    // Writes one command; resolves with its answer line (after XSync: the drawing reached the X server).
    command: (line) => new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`paint_screen did not answer "${line}"`)), 5000);
      waiters.push((answer) => { clearTimeout(timer); resolve(answer); });
      proc.stdin.write(`${line}\n`);
    }),
    stop: async () => {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(t);
    },
  };
}

// Header and tile rectangles of a tile message (README "Tile mode"); null for anything else.
function parseTileHeader(buffer) {
  if (!Buffer.isBuffer(buffer) || buffer.length < 24 || buffer.toString('latin1', 0, 4) !== 'RRTL') return null;
  const count = buffer.readUInt16LE(6);
  const message = { key: (buffer.readUInt8(5) & 1) === 1, seq: buffer.readUInt32LE(8), capturedAt: Number(buffer.readBigUInt64LE(16)), bytes: buffer.length, tiles: [] };
  let offset = 24;
  for (let i = 0; i < count && offset + 12 <= buffer.length; i++) {
    const tile = { x: buffer.readUInt16LE(offset), y: buffer.readUInt16LE(offset + 2), w: buffer.readUInt16LE(offset + 4), h: buffer.readUInt16LE(offset + 6) };
    offset += 12 + buffer.readUInt32LE(offset + 8);
    message.tiles.push(tile);
  }
  return message;
}
const covers = (message, [px, py]) => message.tiles.some((t) => px >= t.x && px < t.x + t.w && py >= t.y && py < t.y + t.h);

function stats(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] : null);
  const round = (v) => (v === null ? null : Math.round(v * 10) / 10);
  return { n: sorted.length, median: round(at(50)), p90: round(at(90)), max: round(sorted.length ? sorted[sorted.length - 1] : null), min: round(sorted.length ? sorted[0] : null) };
}

async function main() {
  const painter = startPainter();
  let browser;
  try {
    await painter.ready();
    browser = await chromium.launch({ executablePath: chromiumPath, timeout: 30000, args: chromiumArgs });
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    page.setDefaultTimeout(15000);
    const pageErrors = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    // Tile messages as they reach the page (Node time of the CDP event; only captured_at and the rectangles are used).
    const messages = [];
    page.on('websocket', (ws) => {
      if (!ws.url().includes('/stream/ws')) return;
      ws.on('framereceived', ({ payload }) => {
        const message = parseTileHeader(payload);
        if (message) messages.push({ ...message, at: nowMs() });
      });
    });
    await page.goto(`${URL_BASE}/screen`, { waitUntil: 'domcontentloaded' });
    await page.getByTestId('stream-status').filter({ hasText: 'Live' }).waitFor();
    await page.waitForFunction(() => {
      const canvas = document.querySelector('[data-testid="live-view"]');
      return canvas instanceof HTMLCanvasElement && !canvas.hidden && canvas.width > 0;
    });
    const canvasSize = await page.evaluate(() => {
      const c = document.querySelector('[data-testid="live-view"]');
      return [c.width, c.height];
    });
    await sleep(SETTLE_MS);
    // Both clocks against Date.now(): they should agree to well under a millisecond on one machine.
    const clock = await page.evaluate(() => ({ pageMinusDateMs: performance.timeOrigin + performance.now() - Date.now() }));
    clock.nodeMinusDateMs = nowMs() - Date.now();

    const samples = [];
    const lastColour = new Map();
    for (let i = 0; i < PROBES; i++) {
      const place = PLACES[i % PLACES.length];
      let colour = COLOURS[i % COLOURS.length];
      if (lastColour.get(i % PLACES.length) === colour) colour = COLOURS[(i + 1) % COLOURS.length];
      lastColour.set(i % PLACES.length, colour);
      const points = pointsOf(place);
      // Start the in-page poll first (it cannot match before the command is sent: the colour is new there).
      await page.evaluate(([pts, rgb, tol, timeoutMs]) => {
        const canvas = document.querySelector('[data-testid="live-view"]');
        const context = canvas.getContext('2d');
        const begun = performance.now();
        window.__tilesProbe = new Promise((resolve) => {
          const check = () => {
            const ok = pts.every(([x, y]) => {
              const d = context.getImageData(x, y, 1, 1).data;
              return Math.abs(d[0] - rgb[0]) <= tol && Math.abs(d[1] - rgb[1]) <= tol && Math.abs(d[2] - rgb[2]) <= tol;
            });
            if (ok) resolve({ shownAt: performance.timeOrigin + performance.now() });
            else if (performance.now() - begun > timeoutMs) resolve({ timeout: true });
            else requestAnimationFrame(check);
          };
          requestAnimationFrame(check);
        });
      }, [points, colour, TOLERANCE, PROBE_TIMEOUT_MS + 1000]);
      const seen = messages.length;
      const sentAt = nowMs();
      const answer = await painter.command(`rect ${place.x} ${place.y} ${place.w} ${place.h} ${colour.join(' ')}`);
      const ackAt = nowMs();
      if (answer !== 'ok') throw new Error(`paint_screen answered ${answer}`);
      const result = await page.evaluate(() => window.__tilesProbe);
      const sample = { probe: i, place, colour, sentAt, paintAckMs: ackAt - sentAt };
      if (result.timeout) {
        sample.timeout = true;
      } else {
        sample.latencyMs = result.shownAt - sentAt;
        const carrier = messages.slice(seen).find((m) => covers(m, points[0]));
        if (carrier) {
          sample.captureAfterMs = carrier.capturedAt - sentAt;
          sample.shownAfterCaptureMs = result.shownAt - carrier.capturedAt;
          sample.key = carrier.key;
          sample.messageBytes = carrier.bytes;
        }
      }
      samples.push(sample);
      // Desynchronise the next probe from the capture ticks (15 fps: 67 ms apart).
      await sleep(120 + Math.floor(Math.random() * 180));
    }
    const feedStats = await page.evaluate(() => {
      const read = (id) => document.querySelector(`[data-testid="${id}"]`)?.textContent ?? null;
      return { latencyMs: read('latency-ms'), fps: read('measured-fps'), kbps: read('measured-kbps'), frames: read('frames-received') };
    });
    const ok = samples.filter((s) => !s.timeout);
    const out = {
      label: LABEL,
      scene: SCENE,
      url: URL_BASE,
      probes: PROBES,
      matched: ok.length,
      timeouts: samples.length - ok.length,
      canvas: canvasSize,
      latency_ms: stats(ok.map((s) => s.latencyMs)),
      paint_ack_ms: stats(samples.map((s) => s.paintAckMs)),
      capture_after_ms: stats(ok.filter((s) => s.captureAfterMs !== undefined).map((s) => s.captureAfterMs)),
      shown_after_capture_ms: stats(ok.filter((s) => s.shownAfterCaptureMs !== undefined).map((s) => s.shownAfterCaptureMs)),
      carried_by_key_frame: ok.filter((s) => s.key).length,
      messages_seen: messages.length,
      clock,
      page_readout: feedStats,
      page_errors: pageErrors,
      samples,
    };
    process.stdout.write(`${JSON.stringify(out)}\n`);
    log(`${SCENE}${LABEL ? ` (${LABEL})` : ''}: ${ok.length}/${PROBES} probes, median ${out.latency_ms.median} ms, p90 ${out.latency_ms.p90}, max ${out.latency_ms.max}`);
  } finally {
    await browser?.close().catch(() => {});
    await painter.stop();
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    log(`failed: ${error.stack ?? error}`);
    process.exit(1);
  },
);
