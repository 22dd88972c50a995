// Browser end-to-end test of the Screen page (web/src/pages/screen) against the real redred binary, which
// serves web/dist and streams its test pattern (1280×720) in tile mode to the page's canvas. Debian's Chromium,
// driven by playwright-core. The wire format's corner cases (tile order, broken JPEGs, dropped connections) are
// played by a mock feed (page.routeWebSocket); e2e_screen_tiles.test.mjs checks real X11 changes under Xvfb.
// Screenshots go to test-output/e2e_screen/ (screen-live.png, screen-stopped.png, <test>-failure.png).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import jpeg from 'jpeg-js';
import { chromium } from 'playwright-core';
import { json, redredBin, sourceDir, startRedred, testOutputDir, waitFor } from './lib/redred.mjs';
import {
  canvasLumaStats,
  canvasPixel,
  colourNear,
  encodeTileMessage,
  feedStats,
  noiseJpeg,
  parseTileMessage,
  solidJpeg,
  waitForCanvasColour,
} from './lib/tiles.mjs';

const webRoot = path.join(sourceDir, 'web', 'dist');
const chromiumPath = process.env.REDRED_CHROMIUM ?? '/usr/bin/chromium';
const outDir = testOutputDir('e2e_screen');
const waitMs = 15000; // upper bound for any single wait on the page
const testTimeoutMs = 90000;

let server;
let browser;

before(async () => {
  assert.ok(existsSync(redredBin), `server binary not found at ${redredBin} (set REDRED_BIN)`);
  assert.ok(
    existsSync(path.join(webRoot, 'index.html')),
    `${webRoot}/index.html not found: build the web app first (cd web && npm ci && npm run build)`,
  );
  assert.ok(existsSync(chromiumPath), `Chromium not found at ${chromiumPath} (set REDRED_CHROMIUM)`);
  server = await startRedred({ webRoot });
  browser = await chromium.launch({
    executablePath: chromiumPath,
    timeout: 30000,
    args: [
      '--headless=new',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
});

after(async () => {
  await browser?.close().catch(() => {});
  await server?.stop();
});

// Runs `body(page, trace)` in a fresh browser context. On failure saves <name>-failure.png and appends the
// server log tail; always leaves the server with no active stream for the next test.
async function withPage(name, body, { viewport = { width: 1280, height: 900 } } = {}) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  page.setDefaultTimeout(waitMs);
  page.setDefaultNavigationTimeout(waitMs);
  const trace = { pageErrors: [], requests: [], sockets: [] };
  page.on('pageerror', (error) => trace.pageErrors.push(error.message));
  // Every WebSocket the page opens, with what it received (tile messages parsed) and sent.
  page.on('websocket', (ws) => {
    const socket = { url: ws.url(), closed: false, received: [], sent: [] };
    trace.sockets.push(socket);
    ws.on('framereceived', ({ payload }) => {
      socket.received.push(typeof payload === 'string' ? payload : { ...parseTileMessage(payload), at: Date.now() });
    });
    ws.on('framesent', ({ payload }) => socket.sent.push(String(payload)));
    ws.on('close', () => { socket.closed = true; });
  });
  page.on('request', (request) => {
    const { pathname } = new URL(request.url());
    if (pathname.startsWith('/stream/')) trace.requests.push({ method: request.method(), path: pathname, body: request.postData() });
  });
  try {
    await body(page, trace);
    assert.deepEqual(trace.pageErrors, [], 'uncaught errors in the page');
  } catch (error) {
    await page.screenshot({ path: path.join(outDir, `${name}-failure.png`), fullPage: true, timeout: 5000 }).catch(() => {});
    const sockets = trace.sockets.map((w) => ({ url: w.url, closed: w.closed, received: w.received.length, sent: w.sent }));
    error.message += `\n--- requests: ${JSON.stringify(trace.requests)}\n--- sockets: ${JSON.stringify(sockets)}` +
      `\n--- page errors: ${trace.pageErrors.join('; ')}` +
      `\n--- redred log (tail):\n${server.log().slice(-4000)}`;
    throw error;
  } finally {
    await context.close().catch(() => {});
    await stopIfActive();
  }
}

async function stopIfActive() {
  const status = await json(`${server.url}/stream/status`);
  if (status.body?.active) await json(`${server.url}/stream/stop`, { method: 'POST' });
}

async function openScreenPage(page) {
  const response = await page.goto(`${server.url}/screen`, { waitUntil: 'domcontentloaded' });
  assert.equal(response?.status(), 200, 'GET /screen serves the app');
  await page.getByTestId('stream-status').filter({ hasText: /Live|Stopped/ }).waitFor({ timeout: waitMs });
}

// Mean and standard deviation of the luma of a JPEG screenshot.
function lumaStats(buffer) {
  const { data } = jpeg.decode(buffer, { useTArray: true });
  let sum = 0;
  let sumSquares = 0;
  const pixels = data.length / 4;
  for (let i = 0; i < data.length; i += 4) {
    const y = 0.299 * data[i] + 0.587 * data[i + 1] + 0.114 * data[i + 2];
    sum += y;
    sumSquares += y * y;
  }
  const mean = sum / pixels;
  return { mean: Math.round(mean), stddev: Math.round(Math.sqrt(Math.max(sumSquares / pixels - mean * mean, 0))) };
}

async function framesReceived(page) {
  return Number(await page.getByTestId('frames-received').textContent());
}

async function waitForFrames(page, atLeast) {
  await page.waitForFunction(
    (n) => Number(document.querySelector('[data-testid="frames-received"]')?.textContent) > n,
    atLeast,
    { timeout: waitMs },
  );
}

test('start with the Internet preset shows live 1280×720 frames, stop shows the stopped state', { timeout: testTimeoutMs }, async () => {
  await withPage('start-stop', async (page, trace) => {
    await openScreenPage(page);
    await page.getByTestId('stream-stopped').waitFor();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Screen' }).waitFor();

    await page.getByTestId('preset-internet').click();
    assert.equal(await page.getByTestId('fps-input').inputValue(), '15');
    assert.equal(await page.getByTestId('quality-input').inputValue(), '75');
    assert.equal(await page.getByTestId('preset-internet').getAttribute('aria-pressed'), 'true');

    const startRequest = page.waitForRequest((r) => r.method() === 'POST' && new URL(r.url()).pathname === '/stream/start');
    await page.getByTestId('start-button').click();
    assert.deepEqual(JSON.parse((await startRequest).postData() ?? 'null'), { fps: 15, quality: 75 });

    const status = page.getByTestId('stream-status');
    await status.filter({ hasText: 'Live' }).waitFor();
    const statusText = await status.textContent();
    assert.match(statusText, /15 fps/);
    assert.match(statusText, /quality 75/);
    assert.match(statusText, /since \d\d:\d\d:\d\d/);
    assert.match(statusText, /served by 127\.0\.0\.1:\d+/);

    await waitForFrames(page, 5);
    const view = page.getByTestId('live-view');
    await page.waitForFunction(() => {
      const canvas = document.querySelector('[data-testid="live-view"]');
      return canvas instanceof HTMLCanvasElement && !canvas.hidden && canvas.width === 1280;
    }, null, { timeout: waitMs });
    const canvas = await view.evaluate((c) => ({ tag: c.tagName, width: c.width, height: c.height, label: c.getAttribute('aria-label') }));
    assert.deepEqual(canvas, { tag: 'CANVAS', width: 1280, height: 720, label: 'Live screen feed' });
    // Decoded tiles are on the canvas (read back), and painted on screen: the pattern is far from one flat colour.
    const drawn = await canvasLumaStats(page);
    assert.ok(drawn.stddev > 20, `canvas holds no picture: ${JSON.stringify(drawn)}`);
    const painted = lumaStats(await view.screenshot({ type: 'jpeg', quality: 90 }));
    assert.ok(painted.stddev > 20, `live view looks blank on screen: ${JSON.stringify(painted)}`);
    // The pattern moves, so updates keep coming: the stats show a rate, a bit rate and a latency.
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="measured-kbps"]')?.textContent) > 0);
    const stats = await feedStats(page);
    assert.ok(stats.fps > 0, `measured fps: ${JSON.stringify(stats)}`);
    assert.ok(stats.kbps > 0, `measured kbit/s: ${JSON.stringify(stats)}`);
    assert.ok(stats.latencyMs !== null && stats.latencyMs >= 0 && stats.latencyMs < 5000, `latency: ${JSON.stringify(stats)}`);
    assert.match(await page.getByText('Latency').locator('..').getAttribute('title'), /clock/);
    assert.equal(await page.getByTestId('error-alert').count(), 0, 'no error shown while live');
    await page.screenshot({ path: path.join(outDir, 'screen-live.png'), fullPage: true });

    await page.setViewportSize({ width: 390, height: 844 });
    await waitForFrames(page, (await framesReceived(page)) + 1);
    await page.screenshot({ path: path.join(outDir, 'screen-live-phone.png'), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 900 });

    const framesBeforeStop = await framesReceived(page);
    await page.getByTestId('stop-button').click();
    await page.getByTestId('stream-stopped').waitFor();
    await status.filter({ hasText: 'Stopped' }).waitFor();
    assert.equal(await page.getByTestId('live-view').count(), 0, 'the live canvas is gone once stopped');
    assert.ok((await framesReceived(page)) >= framesBeforeStop, 'the counter keeps the session total');
    assert.equal(await page.getByTestId('error-alert').count(), 0, 'no error shown after stop');
    await page.screenshot({ path: path.join(outDir, 'screen-stopped.png'), fullPage: true });

    // One tile-mode WebSocket for the whole session: no duplicate or reconnecting feeds, no SSE.
    assert.deepEqual(trace.sockets.map((w) => new URL(w.url).pathname + new URL(w.url).search), ['/stream/ws?mode=tiles']);
    const [socket] = trace.sockets;
    assert.equal(socket.received.at(-1), 'stream_stopped', 'the server ended the feed with stream_stopped');
    const tileMessages = socket.received.filter((m) => typeof m !== 'string');
    assert.ok(tileMessages[0]?.key, 'the first message is a key frame');
    assert.deepEqual([tileMessages[0].width, tileMessages[0].height], [1280, 720]);
    assert.ok(tileMessages.some((m) => !m.key), 'later messages carry only what changed');
    assert.equal(trace.requests.filter((r) => r.path === '/stream/feed').length, 0, 'the page does not use SSE');
    assert.equal(trace.requests.filter((r) => r.path === '/stream/stop').length, 1);
  });
});

test('out-of-range fps or quality is reported inline and nothing is sent', { timeout: testTimeoutMs }, async () => {
  await withPage('invalid-input', async (page, trace) => {
    await openScreenPage(page);
    for (const [testId, value, errorTestId, pattern] of [
      ['fps-input', '0', 'fps-error', /1 to 60/],
      ['fps-input', '500', 'fps-error', /1 to 60/],
      ['quality-input', '101', 'quality-error', /1 to 100/],
    ]) {
      await page.getByTestId('preset-lan').click();
      await page.getByTestId(testId).fill(value);
      await page.getByTestId('start-button').click();
      const message = page.getByTestId(errorTestId);
      await message.waitFor();
      assert.match(await message.textContent(), pattern);
      assert.equal(await page.getByTestId(testId).getAttribute('aria-invalid'), 'true');
    }
    // Give a request that should not exist the time to show up.
    await page.waitForTimeout(500);
    const starts = trace.requests.filter((r) => r.path === '/stream/start');
    assert.deepEqual(starts, [], 'no POST /stream/start for invalid input');
    await page.getByTestId('stream-status').filter({ hasText: 'Stopped' }).waitFor();

    await page.getByTestId('preset-mobile').click();
    assert.equal(await page.getByTestId('fps-error').count(), 0, 'a valid value clears the message');
    assert.equal(await page.getByTestId('quality-error').count(), 0);
  });
});

test('starting while a stream is already active shows the 409, and the page follows that stream', { timeout: testTimeoutMs }, async () => {
  await withPage('conflict', async (page) => {
    await openScreenPage(page);
    await page.getByTestId('stream-stopped').waitFor();

    // Someone else (another tab, a script) starts a stream.
    const started = await json(`${server.url}/stream/start`, { method: 'POST', body: { fps: 10, quality: 60 } });
    assert.equal(started.status, 200, started.text);

    await page.getByTestId('start-button').click();
    const alert = page.getByTestId('error-alert');
    await alert.waitFor();
    assert.match(await alert.textContent(), /409.*a stream is already active/);

    // The page opens the feed for a stream it did not start.
    await page.getByTestId('stream-status').filter({ hasText: 'Live' }).waitFor();
    assert.match(await page.getByTestId('stream-status').textContent(), /10 fps · quality 60/);
    await waitForFrames(page, 2);

    // And closes it when that stream is stopped elsewhere.
    const stopped = await json(`${server.url}/stream/stop`, { method: 'POST' });
    assert.equal(stopped.status, 200, stopped.text);
    await page.getByTestId('stream-stopped').waitFor();
    await page.getByTestId('stream-status').filter({ hasText: 'Stopped' }).waitFor();
  });
});

// The feed's path and query, e.g. "/stream/ws?mode=tiles&max_kbps=500".
const feedTarget = (socket) => {
  const url = new URL(socket.url);
  return url.pathname + url.search;
};

test('the bandwidth cap reopens the feed with max_kbps, lowers the rate, and is remembered', { timeout: testTimeoutMs }, async () => {
  await withPage('bandwidth-cap', async (page, trace) => {
    await openScreenPage(page);
    const cap = page.getByRole('combobox', { name: 'Bandwidth cap' });
    assert.equal(await cap.inputValue(), '', 'unlimited by default');
    const started = await json(`${server.url}/stream/start`, { method: 'POST', body: { fps: 15, quality: 75 } });
    assert.equal(started.status, 200, started.text);
    await waitForFrames(page, 3);
    assert.deepEqual(trace.sockets.map(feedTarget), ['/stream/ws?mode=tiles']);

    await cap.selectOption({ label: '500 kbit/s' });
    const reopened = await waitForSocket(trace, '/stream/ws?mode=tiles&max_kbps=500');
    await waitFor(() => trace.sockets[0].closed, { timeoutMs: waitMs, what: 'the uncapped feed to close' });
    // The server waits after each message as long as its bytes take at 500 kbit/s (the pattern at 15 fps takes
    // ~3 Mbit/s uncapped): every message but the last, over the time from the first to the last, is within the cap.
    // A message may be 2 Mbit (merged changes), so the count is small and the wait long.
    const tileMessages = () => reopened.received.filter((m) => typeof m !== 'string');
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="frames-received"]')?.textContent) >= 3, null, { timeout: 30000 });
    const messages = tileMessages();
    assert.ok(messages.length >= 3, `the capped feed delivered ${messages.length} message(s)`);
    const spanMs = messages.at(-1).at - messages[0].at;
    const kbps = (messages.slice(0, -1).reduce((sum, m) => sum + m.bytes, 0) * 8) / spanMs;
    assert.ok(kbps < 500 * 1.15, `capped feed carried ${kbps.toFixed(0)} kbit/s over ${spanMs} ms: ${messages.map((m) => m.bytes)}`);
    const shown = await feedStats(page);
    assert.ok(shown.kbps > 0, `the page shows the rate: ${JSON.stringify(shown)}`);

    // Remembered by this browser: a reload opens the capped feed at once.
    await page.reload({ waitUntil: 'domcontentloaded' });
    assert.equal(await page.getByRole('combobox', { name: 'Bandwidth cap' }).inputValue(), '500');
    await waitForFrames(page, 1);
    assert.equal(feedTarget(trace.sockets.at(-1)), '/stream/ws?mode=tiles&max_kbps=500');

    await page.getByRole('combobox', { name: 'Bandwidth cap' }).selectOption({ label: 'Unlimited' });
    await waitForSocket(trace, '/stream/ws?mode=tiles', trace.sockets.length);
    await waitForFrames(page, 1);
  });
});

async function waitForSocket(trace, target, from = 0) {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const socket = trace.sockets.slice(from).find((w) => feedTarget(w) === target);
    if (socket) return socket;
    if (Date.now() > deadline) throw new Error(`no WebSocket to ${target}; saw ${trace.sockets.map(feedTarget).join(', ')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// A scripted tile feed in place of the server's: the page still polls the real /stream/status (a stream is
// started so that it opens the feed), but its WebSocket talks to `script(route, received)`.
async function withMockFeed(page, script) {
  const connections = [];
  await page.routeWebSocket(/\/stream\/ws\?mode=tiles/, (route) => {
    const connection = { route, received: [], closed: false };
    route.onMessage((message) => connection.received.push(String(message)));
    route.onClose(() => { connection.closed = true; });
    connections.push(connection);
  });
  const started = await json(`${server.url}/stream/start`, { method: 'POST', body: { fps: 5, quality: 50 } });
  assert.equal(started.status, 200, started.text);
  await openScreenPage(page);
  await script(connections);
}

async function waitForConnection(connections, n) {
  const deadline = Date.now() + waitMs;
  while (connections.length < n) {
    if (Date.now() > deadline) throw new Error(`the page opened ${connections.length} feed connection(s), expected ${n}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return connections[n - 1];
}

async function waitForKeyFrameRequests(connection, n) {
  const deadline = Date.now() + waitMs;
  const requests = () => connection.received.filter((m) => m === '{"type":"key_frame"}').length;
  while (requests() < n) {
    if (Date.now() > deadline) throw new Error(`expected ${n} key frame request(s), page sent ${JSON.stringify(connection.received)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const RED = [255, 0, 0];
const BLUE = [0, 0, 255];
const GREEN = [0, 200, 0];
const YELLOW = [255, 255, 0];

test('tile messages are decoded and drawn in order; a broken JPEG or message asks for a key frame', { timeout: testTimeoutMs }, async () => {
  await withPage('tiles-mock', async (page) => {
    await withMockFeed(page, async (connections) => {
      const feed = await waitForConnection(connections, 1);
      const send = (message) => feed.route.send(encodeTileMessage(message));
      let seq = 0;

      // Key frame, 1280×720: red, then a blue tile over part of it (a later tile wins).
      send({ key: true, seq: ++seq, width: 1280, height: 720, tiles: [
        { x: 0, y: 0, w: 1280, h: 720, jpeg: solidJpeg(1280, 720, RED) },
        { x: 16, y: 16, w: 32, h: 32, jpeg: solidJpeg(32, 32, BLUE) },
      ] });
      await waitForCanvasColour(page, [[24, 24], [47, 47]], BLUE, { what: 'key frame, second tile:' });
      await waitForCanvasColour(page, [[8, 8], [100, 100], [1279, 719]], RED, { what: 'key frame, first tile:' });
      assert.deepEqual(await page.getByTestId('live-view').evaluate((c) => [c.width, c.height]), [1280, 720]);

      // Deltas in order: a slow-to-decode noise tile (~3 MB of JPEG), then a small one on top of it, which must
      // stay on top although it decodes long before.
      send({ seq: ++seq, width: 1280, height: 720, tiles: [{ x: 64, y: 64, w: 1216, h: 656, jpeg: noiseJpeg(1216, 656) }] });
      send({ seq: ++seq, width: 1280, height: 720, tiles: [{ x: 96, y: 96, w: 32, h: 32, jpeg: solidJpeg(32, 32, GREEN) }] });
      await waitForCanvasColour(page, [[100, 100], [127, 127]], GREEN, { what: 'the later delta:' });
      await page.waitForTimeout(300);
      assert.ok(colourNear(await canvasPixel(page, 112, 112), GREEN), 'a delta decoded later did not paint over a newer one');
      assert.ok(!colourNear(await canvasPixel(page, 200, 200), RED), 'the noise tile was drawn');
      await waitForCanvasColour(page, [[24, 24]], BLUE, { what: 'untouched region:' });
      assert.deepEqual(feed.received, [], 'no key frame asked for while all is well');

      // A tile that is not a JPEG: the page asks for a key frame and carries on with the message's other tiles.
      send({ seq: ++seq, width: 1280, height: 720, tiles: [
        { x: 0, y: 0, w: 16, h: 16, jpeg: Buffer.from('not a jpeg at all') },
        { x: 200, y: 16, w: 32, h: 32, jpeg: solidJpeg(32, 32, YELLOW) },
      ] });
      await waitForKeyFrameRequests(feed, 1);
      await waitForCanvasColour(page, [[210, 30]], YELLOW, { what: 'the good tile beside a broken one:' });

      // Not a tile message (wrong magic): ignored, and a key frame asked for.
      const garbage = encodeTileMessage({ seq: ++seq, width: 1280, height: 720, tiles: [] });
      garbage.write('XXXX', 0, 'latin1');
      feed.route.send(garbage);
      await waitForKeyFrameRequests(feed, 2);
      // Cut short: the JPEG length says more than the message holds.
      feed.route.send(encodeTileMessage({ seq: ++seq, width: 1280, height: 720, tiles: [{ x: 0, y: 0, w: 8, h: 8, jpeg: solidJpeg(8, 8, RED) }] }).subarray(0, 40));
      await waitForKeyFrameRequests(feed, 3);

      // A key frame may change the size.
      send({ key: true, seq: ++seq, width: 160, height: 96, tiles: [{ x: 0, y: 0, w: 160, h: 96, jpeg: solidJpeg(160, 96, BLUE) }] });
      await page.waitForFunction(() => document.querySelector('[data-testid="live-view"]')?.width === 160);
      await waitForCanvasColour(page, [[0, 0], [159, 95]], BLUE, { what: 'resized key frame:' });
      assert.deepEqual(await page.getByTestId('live-view').evaluate((c) => [c.width, c.height]), [160, 96]);

      // 5 tile messages parsed (the wrong-magic and cut-short ones are not counted).
      await page.waitForFunction(() => document.querySelector('[data-testid="frames-received"]')?.textContent === '5');
      const stats = await feedStats(page);
      assert.ok(stats.kbps > 0, `kbit/s: ${JSON.stringify(stats)}`);
      assert.equal(await page.getByTestId('error-alert').count(), 0);
    });
  });
});

test('a dropped feed is reopened with backoff, keeping the picture; stream_stopped ends it', { timeout: testTimeoutMs }, async () => {
  await withPage('tiles-reconnect', async (page) => {
    await withMockFeed(page, async (connections) => {
      const first = await waitForConnection(connections, 1);
      first.route.send(encodeTileMessage({ key: true, width: 64, height: 48, tiles: [{ x: 0, y: 0, w: 64, h: 48, jpeg: solidJpeg(64, 48, GREEN) }] }));
      await waitForCanvasColour(page, [[32, 24]], GREEN);

      const droppedAt = Date.now();
      await first.route.close({ code: 1011, reason: 'test drop' });
      const second = await waitForConnection(connections, 2);
      const delay = Date.now() - droppedAt;
      assert.ok(delay >= 300 && delay < 5000, `reopened after ${delay} ms (expected the first backoff step, ~0.5 s)`);
      // While it reconnects the last picture stays.
      assert.ok(colourNear(await canvasPixel(page, 32, 24), GREEN), 'the picture is kept while reconnecting');
      second.route.send(encodeTileMessage({ key: true, width: 64, height: 48, tiles: [{ x: 0, y: 0, w: 64, h: 48, jpeg: solidJpeg(64, 48, YELLOW) }] }));
      await waitForCanvasColour(page, [[32, 24]], YELLOW);
      await page.waitForFunction(() => document.querySelector('[data-testid="frames-received"]')?.textContent === '2');

      // stream_stopped: the session ends (the page then re-reads the status, which still says active, and
      // opens a new feed, as it does for a stream it did not start).
      second.route.send('stream_stopped');
      const third = await waitForConnection(connections, 3);
      await waitFor(() => second.closed, { timeoutMs: waitMs, what: 'the stopped feed to close' });
      third.route.send(encodeTileMessage({ key: true, width: 64, height: 48, tiles: [{ x: 0, y: 0, w: 64, h: 48, jpeg: solidJpeg(64, 48, BLUE) }] }));
      await waitForCanvasColour(page, [[32, 24]], BLUE);
    });
  });
});
