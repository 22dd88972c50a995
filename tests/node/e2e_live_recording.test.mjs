// Browser end-to-end test of recording (web/src/recording, the studio's Record switch, the player on the
// stats page) against the real redred binary: the streamer records the fake camera while live, the chunks
// reach the server, and after the end a viewer plays the recording with a real duration; the file answers
// Range requests and survives a server restart. Run inside a loopback-only network namespace (CTest does);
// screenshots go to test-output/e2e_live/.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startRedred, testOutputDir, waitFor } from './lib/redred.mjs';
import {
  newPerson,
  PASSWORD,
  screenshot,
  signUp,
  startServerAndBrowser,
  stopServerAndBrowser,
  unique,
  WAIT_MS,
  webRoot,
} from './lib/browser.mjs';

const outDir = testOutputDir('e2e_live');

let server;
let browser;

before(async () => { ({ server, browser } = await startServerAndBrowser()); });
after(() => stopServerAndBrowser(server, browser));

async function getJson(url) {
  const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
  const body = await response.json().catch(() => null);
  // docs/API.md: `{recording}`; a bare recording object (what the server answered at first) is accepted too.
  const recording = body?.recording ?? (body && 'next_seq' in body ? body : undefined);
  return { status: response.status, body: { recording } };
}

test('a recording is made while live, uploaded, played back with a duration, served with Range, kept across a restart', { timeout: 180000 }, async () => {
  const people = [];
  const join = async (who, options) => {
    const person = await newPerson(browser, who, server.url, options);
    people.push(person);
    return person;
  };
  try {
    const streamer = await join('streamer');
    await signUp(streamer, unique('rita'), PASSWORD);
    await streamer.page.goto('/new');
    await streamer.page.getByTestId('stream-title').fill('Clase grabada');
    await streamer.page.getByTestId('create-stream').click();
    await streamer.page.waitForURL(/\/studio\/\d+$/);
    const streamId = Number(new URL(streamer.page.url()).pathname.split('/').pop());

    // Record is off by default and clearly there; turned on before going live, it starts with the stream.
    const toggle = streamer.page.getByTestId('record-toggle');
    assert.equal(await toggle.isChecked(), false, 'Record is off by default');
    await toggle.check();
    await streamer.page.locator('[data-testid="recording-status"][data-state="armed"]').waitFor();
    await streamer.page.getByTestId('source-camera').check();
    await streamer.page.getByTestId('go-live').click();
    await streamer.page.locator('[data-testid="studio-state"][data-state="live"]').waitFor();
    await streamer.page.locator('[data-testid="recording-status"][data-state="recording"]').waitFor();

    // ~4 s of chunks (1 s timeslice) reach the server; the studio shows confirmed bytes. (The recorder's first
    // chunk can be a few bytes; on a busy machine the next ones come later: wait for a kilobyte.)
    await streamer.page.waitForTimeout(4000);
    await streamer.page.waitForFunction(
      () => Number(document.querySelector('[data-testid="recording-status"]')?.getAttribute('data-bytes')) >= 1000,
      null,
      { timeout: WAIT_MS },
    );
    const statusText = await streamer.page.getByTestId('recording-status').textContent();
    assert.match(statusText, /Recording · [\d.]+ (kB|MB) uploaded · \d+ pending/);
    // The server confirms at least three chunks (on a loaded machine the recorder's timeslices come late).
    let whileLive;
    await waitFor(async () => {
      whileLive = await getJson(`${server.url}/api/live/${streamId}/recording/`);
      return whileLive.status === 200 && whileLive.body?.recording?.chunks >= 3;
    }, { timeoutMs: WAIT_MS, intervalMs: 250, what: 'three recording chunks on the server' })
      .catch((e) => { throw new Error(`GET recording while live: ${JSON.stringify(whileLive?.body)} (${e.message})`); });
    assert.ok(whileLive.body.recording.bytes > 0);
    await screenshot(streamer, outDir, 'studio-recording');

    // A network blip: the server stores each attempt but the page sees the connection reset, so the same
    // seq is retried (the server answers 200 again without storing it twice). The studio says it retries.
    const pattern = `**/api/live/${streamId}/recording/chunks/**`;
    await streamer.page.route(pattern, async (route) => {
      await route.fetch({ timeout: 5000 }).catch(() => {});
      await route.abort('connectionreset').catch(() => {});
    });
    await streamer.page.getByTestId('recording-retry').waitFor();
    await streamer.page.waitForTimeout(2500);
    await screenshot(streamer, outDir, 'studio-recording-retry');
    await streamer.page.unroute(pattern);

    // Switching the source while recording (replaceTrack for viewers) keeps the same recording going.
    await streamer.page.getByTestId('source-screen').check();
    await streamer.page.getByTestId('apply-source').click();
    await streamer.page.getByTestId('current-source').filter({ hasText: 'Screen' }).waitFor();
    await streamer.page.waitForFunction(
      () => {
        const status = document.querySelector('[data-testid="recording-status"]');
        return status?.getAttribute('data-state') === 'recording' && status.getAttribute('data-pending') === '0';
      },
      null,
      { timeout: 20000 },
    );
    const afterBlip = await getJson(`${server.url}/api/live/${streamId}/recording/`);
    assert.ok(afterBlip.body.recording.chunks > whileLive.body.recording.chunks, 'uploads went on after the blip');

    // Ending flushes the last chunk first, then ends the stream.
    await streamer.page.getByTestId('end-stream').click();
    await streamer.page.getByTestId('studio-ended').waitFor();
    await streamer.page.getByTestId('studio-recording-saved').waitFor();
    const final = await getJson(`${server.url}/api/live/${streamId}/recording/`);
    assert.equal(final.status, 200);
    const { bytes, chunks, url } = final.body.recording;
    assert.ok(bytes >= whileLive.body.recording.bytes && chunks >= whileLive.body.recording.chunks, JSON.stringify(final.body));
    assert.ok(typeof url === 'string' && url.startsWith('/'), `url ${url}`);

    // A guest opens the stats page: the player shows the recording with a real duration and a picture.
    const viewer = await join('viewer');
    await viewer.page.goto(`/live/${streamId}/stats`);
    const video = viewer.page.getByTestId('recording-video');
    await video.waitFor();
    await viewer.page.waitForFunction(
      () => {
        const v = document.querySelector('[data-testid="recording-video"]');
        return v?.dataset.durationReady === 'true' && Number.isFinite(v.duration) && v.duration > 0;
      },
      null,
      { timeout: WAIT_MS },
    );
    const played = await viewer.page.evaluate(async () => {
      const v = document.querySelector('[data-testid="recording-video"]');
      v.muted = true;
      await v.play().catch(() => {});
      const start = Date.now();
      while (v.videoWidth === 0 && Date.now() - start < 10000) await new Promise((r) => setTimeout(r, 100));
      v.pause();
      return { duration: v.duration, width: v.videoWidth, height: v.videoHeight };
    });
    assert.ok(played.duration > 6, `duration ${played.duration}`);
    assert.ok(played.width > 0, `videoWidth ${played.width}`);
    const download = viewer.page.getByTestId('recording-download');
    assert.equal(await download.getAttribute('href'), url);
    assert.ok((await download.getAttribute('download'))?.endsWith('.webm'));
    await viewer.page.evaluate(() => {
      const v = document.querySelector('[data-testid="recording-video"]');
      v.currentTime = Math.min(1, v.duration / 2);
    });
    await viewer.page.waitForTimeout(500);
    await screenshot(viewer, outDir, 'recording-player');

    // The watch page's ended state offers it too.
    await viewer.page.goto(`/live/${streamId}`);
    await viewer.page.getByTestId('stream-ended').waitFor();
    await viewer.page.getByTestId('recording-video').waitFor();

    // Range requests.
    const ranged = await fetch(`${server.url}${url}`, { headers: { Range: 'bytes=0-99' }, signal: AbortSignal.timeout(5000) });
    assert.equal(ranged.status, 206);
    const head = Buffer.from(await ranged.arrayBuffer());
    assert.equal(head.length, 100);
    assert.equal(ranged.headers.get('content-range'), `bytes 0-99/${bytes}`);
    assert.deepEqual([...head.subarray(0, 4)], [0x1a, 0x45, 0xdf, 0xa3], 'starts with the EBML (WebM) magic');
    const whole = await fetch(`${server.url}${url}`, { signal: AbortSignal.timeout(10000) });
    assert.equal(whole.status, 200);
    assert.equal((await whole.arrayBuffer()).byteLength, bytes);

    // A restart on the same data dir keeps it.
    const dataDir = server.dataDir;
    await server.stop();
    server = await startRedred({ webRoot, dataDir });
    const again = await getJson(`${server.url}/api/live/${streamId}/recording/`);
    assert.equal(again.status, 200);
    assert.equal(again.body.recording.bytes, bytes);
    assert.equal(again.body.recording.chunks, chunks);
    const after = await fetch(`${server.url}${again.body.recording.url}`, { headers: { Range: 'bytes=0-99' }, signal: AbortSignal.timeout(5000) });
    assert.equal(after.status, 206);
    assert.equal(Buffer.from(await after.arrayBuffer()).compare(head), 0, 'same bytes after the restart');

    for (const person of people) assert.deepEqual(person.pageErrors, [], `uncaught errors in ${person.name}'s page`);
  } catch (error) {
    for (const person of people) await screenshot(person, outDir, `recording-${person.name}-failure`);
    const detail =
      people.map((p) => `\n--- ${p.name}: page errors ${JSON.stringify(p.pageErrors)}; console ${JSON.stringify(p.console.slice(-10))}`).join('') +
      `\n--- redred log (tail):\n${server?.log().slice(-4000)}`;
    throw new Error(`${error.message}${detail}`, { cause: error });
  }
});
