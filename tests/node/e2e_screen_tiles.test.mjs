// The Screen page in tile mode against a real X screen: redred captures an Xvfb display (--screen-source x11),
// tests/tools/paint_screen draws on it (stdin commands `fill R G B`, `rect X Y W H R G B`, each answered `ok`),
// and the page's canvas must show exactly what was drawn, having received only the changed region. Debian's
// Chromium through playwright-core. Screenshots of failures go to test-output/e2e_screen_tiles/.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { launchBrowser, assertPrerequisites, webRoot, WAIT_MS } from './lib/browser.mjs';
import { json, redredBin, startRedred, startXvfb, testOutputDir, waitFor } from './lib/redred.mjs';
import { paintScreenBin as paintScreen, startPainter } from './lib/screen_feed.mjs';
import { canvasPixel, colourNear, feedStats, parseTileMessage, tilesCover, waitForCanvasColour } from './lib/tiles.mjs';

const outDir = testOutputDir('e2e_screen_tiles');
const SCREEN = { width: 800, height: 600 };
const testTimeoutMs = 120000;

const NAVY = [0, 0, 128];
const ORANGE = [255, 160, 0];
const GREEN = [0, 160, 0];
const MAGENTA = [200, 0, 200];

let xvfb;
let painter;
let server;
let browser;

before(async () => {
  assert.ok(existsSync(redredBin), `server binary not found at ${redredBin} (set REDRED_BIN)`);
  assert.ok(existsSync(paintScreen), `${paintScreen} not found: build the paint_screen target`);
  assertPrerequisites();
  xvfb = await startXvfb(SCREEN);
  painter = await startPainter(xvfb.display);
  // No periodic key frames: the test tells deltas from key frames.
  server = await startRedred({ screenSource: 'x11', webRoot, env: { DISPLAY: xvfb.display }, args: ['--key-frame-interval-ms', '600000'] });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close().catch(() => {});
  await server?.stop();
  await painter?.stop();
  await xvfb?.stop();
});

// A fresh page with every WebSocket it opens recorded (tile messages parsed as they arrive).
async function withPage(name, body) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(WAIT_MS);
  const trace = { pageErrors: [], sockets: [] };
  page.on('pageerror', (error) => trace.pageErrors.push(error.message));
  page.on('websocket', (ws) => {
    const socket = { url: ws.url(), target: '', closed: false, received: [], sent: [] };
    const url = new URL(ws.url());
    socket.target = url.pathname + url.search;
    trace.sockets.push(socket);
    ws.on('framereceived', ({ payload }) => {
      socket.received.push(typeof payload === 'string' ? payload : { ...parseTileMessage(payload), at: Date.now() });
    });
    ws.on('framesent', ({ payload }) => socket.sent.push(String(payload)));
    ws.on('close', () => { socket.closed = true; });
  });
  try {
    await body(page, trace);
    assert.deepEqual(trace.pageErrors, [], 'uncaught errors in the page');
  } catch (error) {
    await page.screenshot({ path: path.join(outDir, `${name}-failure.png`), fullPage: true, timeout: 5000 }).catch(() => {});
    const sockets = trace.sockets.map((s) => ({
      target: s.target,
      closed: s.closed,
      sent: s.sent,
      received: s.received.map((m) => (typeof m === 'string' ? m : { key: m.key, seq: m.seq, tiles: m.tiles.map(({ x, y, w, h }) => [x, y, w, h]) })).slice(-20),
    }));
    error.message += `\n--- sockets: ${JSON.stringify(sockets)}\n--- page errors: ${trace.pageErrors.join('; ')}` +
      `\n--- redred log (tail):\n${server.log().slice(-4000)}`;
    throw error;
  } finally {
    await context.close().catch(() => {});
    const status = await json(`${server.url}/stream/status`);
    if (status.body?.active) await json(`${server.url}/stream/stop`, { method: 'POST' });
  }
}

async function openLivePage(page) {
  const started = await json(`${server.url}/stream/start`, { method: 'POST', body: { fps: 15, quality: 90 } });
  assert.equal(started.status, 200, started.text);
  await page.goto(`${server.url}/screen`, { waitUntil: 'domcontentloaded' });
  await page.getByTestId('stream-status').filter({ hasText: 'Live' }).waitFor();
  await page.waitForFunction(
    ([w, h]) => {
      const canvas = document.querySelector('[data-testid="live-view"]');
      return canvas instanceof HTMLCanvasElement && !canvas.hidden && canvas.width === w && canvas.height === h;
    },
    [SCREEN.width, SCREEN.height],
  );
}

// Points 6 px inside a rectangle's edges and its centre (JPEG blocks may blur the very edge).
function inside({ x, y, w, h }) {
  return [[x + 6, y + 6], [x + w - 7, y + 6], [x + 6, y + h - 7], [x + w - 7, y + h - 7], [x + (w >> 1), y + (h >> 1)]];
}

// Points 8 px outside each edge, and far away corners of the screen (the cursor sits near the centre).
function outside({ x, y, w, h }) {
  return [[x - 8, y + (h >> 1)], [x + w + 8, y + (h >> 1)], [x + (w >> 1), y - 8], [x + (w >> 1), y + h + 8], [20, 20], [SCREEN.width - 20, SCREEN.height - 20]];
}

const tileArea = (message) => message.tiles.reduce((sum, t) => sum + t.w * t.h, 0);

// Paints `rect` in `colour`, waits until the canvas shows it inside and still shows NAVY around it, and returns
// the tile messages that arrived meanwhile: `covered` when the deltas (not key frames) among them cover it.
async function paintRect(page, feed, rect, colour) {
  const seen = feed.received.length;
  const paintedAt = Date.now();
  await painter.rect(rect, colour);
  await waitForCanvasColour(page, inside(rect), colour, { what: 'inside the rectangle:' });
  const shownAfterMs = Date.now() - paintedAt;
  for (const [x, y] of outside(rect)) {
    const pixel = await canvasPixel(page, x, y);
    assert.ok(colourNear(pixel, NAVY), `outside the rectangle at ${x},${y}: rgb(${pixel}), expected the old rgb(${NAVY})`);
  }
  // The page drew it, so the message has arrived; Playwright's record of it may trail by a moment.
  const arrived = () => feed.received.slice(seen).filter((m) => typeof m !== 'string');
  const deltas = () => arrived().filter((m) => !m.key);
  const covers = () => deltas().length > 0 && tilesCover({ tiles: deltas().flatMap((m) => m.tiles) }, rect);
  await waitFor(covers, { timeoutMs: 2000, what: 'the delta' }).catch(() => {});
  return {
    covered: covers(),
    deltas: deltas(),
    keyFrames: arrived().length - deltas().length,
    shapes: arrived().map((m) => ({ key: m.key, tiles: m.tiles.map(({ x, y, w, h }) => [x, y, w, h]) })),
    shownAfterMs,
  };
}

test('a rectangle drawn on the X screen arrives as a tile covering it, and the canvas shows it over the old picture', { timeout: testTimeoutMs }, async () => {
  await withPage('rect', async (page, trace) => {
    await painter.fill(NAVY);
    await openLivePage(page);
    await waitForCanvasColour(page, [[20, 20], [400, 150], [780, 580]], NAVY, { what: 'the first key frame:' });
    const feed = trace.sockets.find((s) => s.target === '/stream/ws?mode=tiles');
    assert.ok(feed, `the page opened the tile feed: ${trace.sockets.map((s) => s.target)}`);
    assert.ok(feed.received[0]?.key, 'the first message is a key frame');
    const framesBefore = (await feedStats(page)).frames;

    const rect = { x: 200, y: 150, w: 160, h: 120 };
    let change = await paintRect(page, feed, rect, ORANGE);
    if (!change.covered && change.keyFrames > 0) {
      // The server's periodic key frame happened to carry the change: once more, elsewhere.
      change = await paintRect(page, feed, { x: 420, y: 380, w: 140, h: 100 }, MAGENTA);
    }
    assert.ok(change.covered, `no delta message covered the rectangle; after painting: ${JSON.stringify(change.shapes)}`);
    const screenArea = SCREEN.width * SCREEN.height;
    for (const delta of change.deltas) {
      assert.ok(tileArea(delta) < screenArea / 4, `a delta's tiles cover ${tileArea(delta)} of ${screenArea} pixels`);
      assert.deepEqual([delta.width, delta.height], [SCREEN.width, SCREEN.height]);
    }
    // The stats are refreshed 4 times a second.
    await page.waitForFunction((n) => Number(document.querySelector('[data-testid="frames-received"]')?.textContent) > n, framesBefore);
    const bytes = change.deltas.reduce((sum, m) => sum + m.bytes, 0);
    console.log(`# rectangle on the canvas ${change.shownAfterMs} ms after paint_screen answered; ` +
      `${change.deltas.length} delta message(s), ${bytes} bytes, ${change.deltas.reduce((n, m) => n + tileArea(m), 0)} px`);

    // A full-screen change: the whole picture is replaced, the rectangle included.
    await painter.fill(GREEN);
    await waitForCanvasColour(page, [...inside(rect), ...outside(rect)], GREEN, { what: 'after a full-screen change:' });
    await page.screenshot({ path: path.join(outDir, 'screen-tiles.png'), fullPage: true });
  });
});

test('the bandwidth cap control reopens the feed with max_kbps, which still shows the changes', { timeout: testTimeoutMs }, async () => {
  await withPage('cap', async (page, trace) => {
    await painter.fill(NAVY);
    await openLivePage(page);
    await waitForCanvasColour(page, [[20, 20]], NAVY);
    await page.getByRole('combobox', { name: 'Bandwidth cap' }).selectOption({ label: '2 Mbit/s' });
    await waitFor(() => trace.sockets.some((s) => s.target === '/stream/ws?mode=tiles&max_kbps=2000'), {
      timeoutMs: WAIT_MS,
      what: 'a feed with max_kbps=2000',
    });
    await waitFor(() => trace.sockets[0].closed, { timeoutMs: WAIT_MS, what: 'the uncapped feed to close' });
    const capped = trace.sockets.find((s) => s.target === '/stream/ws?mode=tiles&max_kbps=2000');
    await waitFor(() => capped.received.length > 0, { timeoutMs: WAIT_MS, what: 'the capped feed to deliver' });

    const rect = { x: 480, y: 320, w: 200, h: 160 };
    await painter.rect(rect, MAGENTA);
    await waitForCanvasColour(page, inside(rect), MAGENTA, { what: 'capped feed, inside:' });
    for (const [x, y] of outside(rect)) {
      assert.ok(colourNear(await canvasPixel(page, x, y), NAVY), `capped feed, outside at ${x},${y}`);
    }
    assert.equal(trace.sockets.filter((s) => !s.closed).length, 1, 'one feed open at a time');
  });
});
