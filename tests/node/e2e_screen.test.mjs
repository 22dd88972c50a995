// Browser end-to-end test of the Screen page (web/src/pages/screen) against the real redred binary, which
// serves web/dist and streams its test pattern (1280×720). Debian's Chromium, driven by playwright-core.
// Screenshots go to test-output/e2e_screen/ (screen-live.png, screen-stopped.png, <test>-failure.png).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import jpeg from 'jpeg-js';
import { chromium } from 'playwright-core';
import { json, redredBin, sourceDir, startRedred, testOutputDir } from './lib/redred.mjs';

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
  const trace = { pageErrors: [], requests: [] };
  page.on('pageerror', (error) => trace.pageErrors.push(error.message));
  page.on('request', (request) => {
    const { pathname } = new URL(request.url());
    if (pathname.startsWith('/stream/')) trace.requests.push({ method: request.method(), path: pathname, body: request.postData() });
  });
  try {
    await body(page, trace);
    assert.deepEqual(trace.pageErrors, [], 'uncaught errors in the page');
  } catch (error) {
    await page.screenshot({ path: path.join(outDir, `${name}-failure.png`), fullPage: true, timeout: 5000 }).catch(() => {});
    error.message += `\n--- requests: ${JSON.stringify(trace.requests)}\n--- page errors: ${trace.pageErrors.join('; ')}` +
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
    await page.waitForFunction(() => document.querySelector('[data-testid="live-view"]')?.naturalWidth === 1280, null, { timeout: waitMs });
    const image = await view.evaluate((img) => ({ width: img.naturalWidth, height: img.naturalHeight, src: img.src.slice(0, 23) }));
    assert.deepEqual(image, { width: 1280, height: 720, src: 'data:image/jpeg;base64,' });
    // Decoded is not enough: the frame must be painted (the pattern is far from one flat color).
    const painted = lumaStats(await view.screenshot({ type: 'jpeg', quality: 90 }));
    assert.ok(painted.stddev > 20, `live view looks blank on screen: ${JSON.stringify(painted)}`);
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
    assert.equal(await page.getByTestId('live-view').count(), 0, 'the live image is gone once stopped');
    assert.ok((await framesReceived(page)) >= framesBeforeStop, 'the counter keeps the session total');
    assert.equal(await page.getByTestId('error-alert').count(), 0, 'no error shown after stop');
    await page.screenshot({ path: path.join(outDir, 'screen-stopped.png'), fullPage: true });

    // One EventSource for the whole session: no duplicate or reconnecting feeds.
    const feeds = trace.requests.filter((r) => r.path === '/stream/feed');
    assert.equal(feeds.length, 1, `expected one /stream/feed request, saw ${feeds.length}`);
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
