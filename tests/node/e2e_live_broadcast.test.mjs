// Browser end-to-end test of the live platform (web/src/pages/{home,studio,watch,stats}) against the real
// redred binary: a streamer goes live with Chromium's fake camera, two viewers watch over peer-to-peer
// WebRTC, the viewer count follows them, chat works both ways, and the end reaches every viewer.
// Run inside a loopback-only network namespace (CTest does); screenshots go to test-output/e2e_live/.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { testOutputDir } from './lib/redred.mjs';
import {
  assertVideoPlays,
  newPerson,
  PASSWORD,
  screenshot,
  signUp,
  startServerAndBrowser,
  stopServerAndBrowser,
  unique,
  WAIT_MS,
  waitForCount,
} from './lib/browser.mjs';

const outDir = testOutputDir('e2e_live');

let server;
let browser;

before(async () => { ({ server, browser } = await startServerAndBrowser()); });
after(() => stopServerAndBrowser(server, browser));

// Runs `body(people)`; on failure saves a screenshot per person and adds page errors and the server log.
async function withPeople(name, body) {
  const people = [];
  const join = async (who, options) => {
    const person = await newPerson(browser, who, server.url, options);
    people.push(person);
    return person;
  };
  try {
    await body(join);
    for (const person of people) assert.deepEqual(person.pageErrors, [], `uncaught errors in ${person.name}'s page`);
  } catch (error) {
    for (const person of people) await screenshot(person, outDir, `${name}-${person.name}-failure`);
    const detail =
      people.map((p) => `\n--- ${p.name}: page errors ${JSON.stringify(p.pageErrors)}; console ${JSON.stringify(p.console.slice(-10))}`).join('') +
      `\n--- redred log (tail):\n${server.log().slice(-4000)}`;
    throw new Error(`${error.message}${detail}`, { cause: error });
  } finally {
    for (const person of people) await person.context.close().catch(() => {});
  }
}

test('streamer goes live with the camera, two viewers watch, count, chat, end', { timeout: 180000 }, async () => {
  await withPeople('broadcast', async (join) => {
    const streamerName = unique('ana');
    const viewerName = unique('bea');

    // The streamer signs up, creates a stream and goes live with the fake camera.
    const streamer = await join('streamer');
    await signUp(streamer, streamerName, PASSWORD);
    await streamer.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Screen' }).waitFor();
    await streamer.page.goto('/new');
    await streamer.page.getByTestId('stream-title').fill('Clase de prueba');
    await streamer.page.getByTestId('stream-description').fill('Una clase en vivo');
    await streamer.page.getByTestId('create-stream').click();
    await streamer.page.waitForURL(/\/studio\/\d+$/);
    const streamId = Number(new URL(streamer.page.url()).pathname.split('/').pop());
    await streamer.page.getByTestId('source-camera').check();
    await streamer.page.getByTestId('go-live').click();
    await streamer.page.locator('[data-testid="studio-state"][data-state="live"]').waitFor();
    await streamer.page.waitForFunction(() => document.querySelector('[data-testid="studio-preview"]')?.videoWidth > 0, null, { timeout: WAIT_MS });

    // Viewer 1 has an account and finds the stream on the home page; viewer 2 is a guest with a link.
    const viewer1 = await join('viewer1');
    await signUp(viewer1, viewerName, PASSWORD);
    await viewer1.page.goto('/');
    const card = viewer1.page.locator(`[data-testid="live-stream-card"][data-stream-id="${streamId}"]`);
    await card.waitFor();
    assert.match(await card.textContent(), new RegExp(`Clase de prueba.*${streamerName}`));
    await screenshot(viewer1, outDir, 'home');
    await card.getByRole('link').click();
    await viewer1.page.waitForURL(new RegExp(`/live/${streamId}$`));

    const viewer2 = await join('viewer2', { viewport: { width: 390, height: 844 } });
    await viewer2.page.goto(`/live/${streamId}`);
    await viewer2.page.getByTestId('chat-login-prompt').waitFor();

    for (const viewer of [viewer1, viewer2]) {
      await viewer.page.locator('[data-testid="watch-state"][data-state="live"]').waitFor();
      await assertVideoPlays(viewer);
    }
    for (const viewer of [viewer1, viewer2]) await waitForCount(viewer.page, 'viewer-count', 2);
    await streamer.page.getByTestId('studio-viewer-count').filter({ hasText: /^2$/ }).waitFor();
    await streamer.page.locator('[data-testid="viewer-row"]').nth(1).waitFor();
    await screenshot(viewer1, outDir, 'watch');
    await screenshot(viewer2, outDir, 'watch-phone');
    await screenshot(streamer, outDir, 'studio');

    // One leaves; the other sees 1, and so does the streamer.
    await viewer2.context.close();
    await waitForCount(viewer1.page, 'viewer-count', 1);
    await streamer.page.getByTestId('studio-viewer-count').filter({ hasText: /^1$/ }).waitFor();

    // Chat both ways; the streamer's comment is highlighted.
    await viewer1.page.getByTestId('chat-input').fill('Hola desde el público');
    await viewer1.page.getByTestId('chat-send').click();
    await viewer1.page.getByTestId('chat-input').and(viewer1.page.locator('[value=""]')).waitFor();
    const fromViewer = streamer.page.getByTestId('chat-comment').filter({ hasText: 'Hola desde el público' });
    await fromViewer.waitFor();
    assert.match(await fromViewer.getByTestId('comment-author').textContent(), new RegExp(viewerName));
    await streamer.page.getByTestId('chat-input').fill('Bienvenida <b>no html</b>');
    await streamer.page.getByTestId('chat-send').click();
    const fromStreamer = viewer1.page.getByTestId('chat-comment').filter({ hasText: 'Bienvenida <b>no html</b>' });
    await fromStreamer.waitFor();
    assert.match(await fromStreamer.getAttribute('class'), /comment--highlighted/);
    assert.equal(await fromStreamer.locator('b').count(), 0, 'comment text is never HTML');

    // The streamer ends the stream; the viewer sees it ended.
    await streamer.page.getByTestId('end-stream').click();
    await streamer.page.getByTestId('studio-ended').waitFor();
    await viewer1.page.locator('[data-testid="watch-state"][data-state="ended"]').waitFor();
    await viewer1.page.getByTestId('stream-ended').waitFor();
    await screenshot(viewer1, outDir, 'watch-ended');
    await screenshot(streamer, outDir, 'studio-ended');

    // Its statistics page shows the figures and a chart.
    await viewer1.page.getByTestId('stats-link').click();
    await viewer1.page.getByTestId('stat-peak').filter({ hasText: /^2$/ }).waitFor();
    assert.equal(await viewer1.page.getByTestId('stat-comments').textContent(), '2');
    await viewer1.page.getByTestId('viewers-chart').waitFor();
    await screenshot(viewer1, outDir, 'stats');
  });
});

test('a reload of the studio resumes the broadcast, and switching to the screen keeps the viewer connected', { timeout: 120000 }, async () => {
  await withPeople('reload', async (join) => {
    const streamer = await join('streamer');
    await signUp(streamer, unique('carla'), PASSWORD);
    await streamer.page.goto('/new');
    await streamer.page.getByTestId('stream-title').fill('Reload test');
    await streamer.page.getByTestId('create-stream').click();
    await streamer.page.waitForURL(/\/studio\/\d+$/);
    const streamId = Number(new URL(streamer.page.url()).pathname.split('/').pop());
    await streamer.page.getByTestId('go-live').click();
    await streamer.page.locator('[data-testid="studio-state"][data-state="live"]').waitFor();

    const viewer = await join('viewer');
    await viewer.page.goto(`/live/${streamId}`);
    await assertVideoPlays(viewer);
    const before = await viewer.page.evaluate(() => [...(window.__redredPeers?.keys() ?? [])]);

    await streamer.page.reload({ waitUntil: 'domcontentloaded' });
    await streamer.page.locator('[data-testid="studio-state"][data-state="live"]').waitFor();
    // A new streamer connection offers a new peer; the viewer drops the old one.
    await viewer.page.waitForFunction(
      (old) => {
        const keys = [...(window.__redredPeers?.keys() ?? [])];
        return keys.length === 1 && !old.includes(keys[0]);
      },
      before,
      { timeout: WAIT_MS },
    );
    await assertVideoPlays(viewer);
    assert.equal(await viewer.page.locator('[data-testid="watch-state"]').getAttribute('data-state'), 'live');

    // Switching to the (fake, 16:9) screen while live swaps the track on the same peer connection.
    const peersBefore = await viewer.page.evaluate(() => [...(window.__redredPeers?.keys() ?? [])]);
    await streamer.page.getByTestId('source-screen').check();
    await streamer.page.getByTestId('apply-source').click();
    await streamer.page.getByTestId('current-source').filter({ hasText: 'Screen' }).waitFor();
    await viewer.page.waitForFunction(() => {
      const v = document.querySelector('[data-testid="watch-video"]');
      return v?.videoHeight > 0 && v.videoWidth / v.videoHeight > 1.7;
    }, null, { timeout: WAIT_MS });
    await assertVideoPlays(viewer);
    assert.deepEqual(await viewer.page.evaluate(() => [...(window.__redredPeers?.keys() ?? [])]), peersBefore, 'same peer connection');
    await screenshot(streamer, outDir, 'studio-screen');
  });
});
