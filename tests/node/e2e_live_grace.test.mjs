// Browser end-to-end test of the publisher grace (--publisher-grace-s; docs/PROTOCOL.md "When the streamer's
// connection drops"): a viewer watches over peer-to-peer WebRTC, the streamer's studio goes away (its page
// leaves, closing its WebSocket) and comes back; the viewer's page says the streamer is reconnecting, then
// plays video again by itself, without reloading. A studio that does not come back: the stream ends when the
// grace runs out. Run inside a loopback-only network namespace (CTest does); screenshots in test-output/e2e_grace/.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startRedred, testOutputDir } from './lib/redred.mjs';
import {
  assertPrerequisites,
  assertVideoPlays,
  launchBrowser,
  newPerson,
  PASSWORD,
  screenshot,
  signUp,
  unique,
  WAIT_MS,
  webRoot,
} from './lib/browser.mjs';

const outDir = testOutputDir('e2e_grace');
const GRACE_S = 15;

let server;
let browser;

before(async () => {
  assertPrerequisites();
  server = await startRedred({ webRoot, args: ['--publisher-grace-s', String(GRACE_S)] });
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close().catch(() => {});
  await server?.stop();
});

async function withPeople(name, body) {
  const people = [];
  const join = async (who) => {
    const person = await newPerson(browser, who, server.url);
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

// A streamer live with the fake camera and a guest watching; returns them and the stream id.
async function liveWithViewer(join) {
  const streamer = await join('streamer');
  await signUp(streamer, unique('dora'), PASSWORD);
  await streamer.page.goto('/new');
  await streamer.page.getByTestId('stream-title').fill('Wi-Fi inestable');
  await streamer.page.getByTestId('create-stream').click();
  await streamer.page.waitForURL(/\/studio\/\d+$/);
  const streamId = Number(new URL(streamer.page.url()).pathname.split('/').pop());
  await streamer.page.getByTestId('go-live').click();
  await streamer.page.locator('[data-testid="studio-state"][data-state="live"]').waitFor();

  const viewer = await join('viewer');
  await viewer.page.goto(`/live/${streamId}`);
  await assertVideoPlays(viewer);
  // Set once: gone if the page ever reloads.
  await viewer.page.evaluate(() => { window.__sameDocument = true; });
  return { streamer, viewer, streamId };
}

const peerKeys = (page) => page.evaluate(() => [...(window.__redredPeers?.keys() ?? [])]);

test('the studio goes away and comes back within the grace: the viewer is told, and video resumes by itself', { timeout: 120000 }, async () => {
  await withPeople('back', async (join) => {
    const { streamer, viewer, streamId } = await liveWithViewer(join);
    const before = await peerKeys(viewer.page);

    // The studio's page leaves: its WebSocket closes (a dropped connection, as far as the server can tell).
    await streamer.page.goto('about:blank');
    await viewer.page.getByTestId('streamer-reconnecting').waitFor();
    assert.equal(await viewer.page.locator('[data-testid="watch-state"]').getAttribute('data-state'), 'live');
    const rest = await (await fetch(`${server.url}/api/live/${streamId}/`)).json();
    assert.equal(rest.stream.status, 'live', 'the stream stays live during the grace');
    await screenshot(viewer, outDir, 'watch-streamer-reconnecting');

    // The streamer comes back to the studio, which resumes the broadcast with the camera.
    await streamer.page.goto(`/studio/${streamId}`);
    await streamer.page.locator('[data-testid="studio-state"][data-state="live"]').waitFor();
    await viewer.page.getByTestId('streamer-reconnecting').waitFor({ state: 'detached' });
    // A new peer connection from the streamer's new connection replaced the old one.
    await viewer.page.waitForFunction(
      (old) => {
        const keys = [...(window.__redredPeers?.keys() ?? [])];
        return keys.length === 1 && !old.includes(keys[0]);
      },
      before,
      { timeout: WAIT_MS },
    );
    await assertVideoPlays(viewer);
    assert.equal(await viewer.page.evaluate(() => window.__sameDocument === true), true, 'the viewer did not reload');
    assert.equal(await viewer.page.locator('[data-testid="watch-state"]').getAttribute('data-state'), 'live');
    await screenshot(viewer, outDir, 'watch-resumed');
  });
});

test('the studio does not come back: the viewer sees the stream end when the grace runs out', { timeout: 120000 }, async () => {
  await withPeople('gone', async (join) => {
    const { streamer, viewer, streamId } = await liveWithViewer(join);
    const leftAt = Date.now();
    await streamer.page.goto('about:blank');
    await viewer.page.getByTestId('streamer-reconnecting').waitFor();
    await viewer.page.locator('[data-testid="watch-state"][data-state="ended"]').waitFor({ timeout: (GRACE_S + 10) * 1000 });
    const took = Date.now() - leftAt;
    assert.ok(took > (GRACE_S - 1) * 1000, `ended after ${took} ms, before the grace of ${GRACE_S} s ran out`);
    await viewer.page.getByTestId('stream-ended').waitFor();
    assert.equal(await viewer.page.getByTestId('streamer-reconnecting').count(), 0);
    const rest = await (await fetch(`${server.url}/api/live/${streamId}/`)).json();
    assert.equal(rest.stream.status, 'ended');
  });
});
