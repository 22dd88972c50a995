// Browser end-to-end test of chat and moderation on the live platform (web/src/pages/{studio,watch,stats})
// against the real redred binary, one browser context per person: chat both ways; a moderator appointed by
// the streamer deletes a comment for everyone; a timed-out user cannot comment, then can; a kicked user is
// removed and sees why; a plain viewer has no moderation controls and the server refuses them when forced;
// a viewer who joins late gets video; the statistics page shows the right numbers and a drawn chart.
// Run inside a loopback-only network namespace (CTest does); screenshots go to test-output/e2e_live/.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { testOutputDir } from './lib/redred.mjs';
import { register } from './lib/live.mjs';
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
// Long enough for the steps below (a 1.5 s wait for "no error", a screenshot) on a loaded machine: the forced
// comment must still fall inside the timeout.
const TIMEOUT_S = 8;

// Keeps every page's live WebSockets and the frames they receive (arrays flattened) on `window`, so a test
// can send a frame over the page's own socket and read the server's answer.
const socketSpy = () => {
  const Native = window.WebSocket;
  window.__sockets = [];
  window.__frames = [];
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      window.__sockets.push(this);
      this.addEventListener('message', (event) => {
        try {
          const data = JSON.parse(event.data);
          for (const frame of Array.isArray(data) ? data : [data]) window.__frames.push(frame);
        } catch {
          /* not JSON */
        }
      });
    }
  };
};

let server;
let browser;

before(async () => { ({ server, browser } = await startServerAndBrowser()); });
after(() => stopServerAndBrowser(server, browser));

// Sends `message` with a fresh ref over the page's open stream socket; returns the server's answer to it
// (an `error`, or the comment's acknowledgement), or null if none came within `timeout`.
let refs = 0;
async function sendOverPageSocket(person, message, { timeout = 3000 } = {}) {
  const ref = `test-${++refs}`;
  const sent = await person.page.evaluate(
    ([m, r]) => {
      const ws = [...window.__sockets].reverse().find((s) => s.readyState === 1 && s.url.includes('/ws/live/'));
      if (!ws) return false;
      ws.send(JSON.stringify({ ...m, ref: r }));
      return true;
    },
    [message, ref],
  );
  assert.ok(sent, `${person.name}: no open stream socket on the page`);
  const answer = await person.page
    .waitForFunction((r) => window.__frames.find((f) => f.ref === r) ?? null, ref, { timeout })
    .catch(() => null);
  return answer ? answer.jsonValue() : null;
}

const frameCount = (person) => person.page.evaluate(() => window.__frames.length);
const framesSince = (person, n) => person.page.evaluate((k) => window.__frames.slice(k).map((f) => f.type), n);
const comment = (person, text) => person.page.getByTestId('chat-comment').filter({ hasText: text });

// Types and sends a comment through the chat box; resolves once the server acknowledged it (box emptied).
async function say(person, text) {
  const { page } = person;
  await page.getByTestId('chat-input').fill(text);
  await page.getByTestId('chat-send').click();
  await page.getByTestId('chat-input').and(page.locator('[value=""]')).waitFor();
}

test('chat and moderation in the browser: moderator, timeout, kick, plain viewer refused, late joiner, statistics', { timeout: 180000 }, async (t) => {
  const people = [];
  const join = async (who, account, options) => {
    const person = await newPerson(browser, who, server.url, options);
    await person.context.addInitScript(socketSpy);
    if (account) {
      await person.context.addCookies([{ name: 'redred_session', value: account.token, url: server.url, httpOnly: true, sameSite: 'Lax' }]);
    }
    people.push(person);
    return person;
  };
  // Each step is a subtest: on failure, a screenshot per person plus page errors and the server log.
  let ready = false; // the setup step passed: later steps need its people and stream
  const step = (name, body, { first = false } = {}) =>
    t.test(name, { skip: !first && !ready && 'the setup failed' }, async () => {
      try {
        await body();
      } catch (error) {
        for (const person of people) await screenshot(person, outDir, `moderation-${name.replace(/\W+/g, '-')}-${person.name}-failure`);
        const detail =
          people.map((p) => `\n--- ${p.name}: page errors ${JSON.stringify(p.pageErrors)}; console ${JSON.stringify(p.console.slice(-8))}`).join('') +
          `\n--- redred log (tail):\n${server.log().slice(-3000)}`;
        throw new Error(`${error.message}${detail}`, { cause: error });
      }
    });

  const names = { streamer: unique('sol'), mod: unique('mod'), pat: unique('pat'), troll: unique('troll') };
  let streamer, mod, pat, troll, late, streamId, liveAt, endedAt;
  const watchers = () => [mod, pat, troll];
  const surviving = []; // comments that are never deleted: the statistics' comments count

  try {
    await step('setup: the streamer goes live, three signed-in viewers open the stream', async () => {
      // The streamer signs up in the UI; the others through the API (to save argon2id time), in parallel.
      streamer = await join('streamer');
      const [accounts] = await Promise.all([
        Promise.all([register(server, names.mod), register(server, names.pat), register(server, names.troll)]),
        signUp(streamer, names.streamer, PASSWORD),
      ]);
      await streamer.page.goto('/new');
      await streamer.page.getByTestId('stream-title').fill('Moderation test');
      await streamer.page.getByTestId('create-stream').click();
      await streamer.page.waitForURL(/\/studio\/\d+$/);
      streamId = Number(new URL(streamer.page.url()).pathname.split('/').pop());
      await streamer.page.getByTestId('source-camera').check();
      await streamer.page.getByTestId('go-live').click();
      await streamer.page.locator('[data-testid="studio-state"][data-state="live"]').waitFor();
      liveAt = Date.now();

      [mod, pat, troll] = await Promise.all([join('mod', accounts[0]), join('pat', accounts[1]), join('troll', accounts[2])]);
      await Promise.all(watchers().map((p) => p.page.goto(`/live/${streamId}`, { waitUntil: 'domcontentloaded' })));
      for (const p of watchers()) {
        await p.page.locator('[data-testid="watch-state"][data-state="live"]').waitFor();
        await p.page.getByTestId('account-name').filter({ hasText: names[p.name] }).waitFor();
        await waitForCount(p.page, 'viewer-count', 3);
      }
      await streamer.page.getByTestId('studio-viewer-count').filter({ hasText: /^3$/ }).waitFor();
      ready = true;
    }, { first: true });

    await step('chat both ways', async () => {
      await say(pat, 'Hola desde el público');
      surviving.push('Hola desde el público');
      for (const p of [streamer, mod, troll]) await comment(p, 'Hola desde el público').waitFor();
      assert.equal(await comment(streamer, 'Hola desde el público').getByTestId('comment-author').textContent(), names.pat);

      await say(streamer, 'Bienvenidos <i>todos</i>');
      surviving.push('Bienvenidos <i>todos</i>');
      for (const p of watchers()) {
        const c = comment(p, 'Bienvenidos <i>todos</i>');
        await c.waitFor();
        assert.match(await c.getAttribute('class'), /comment--highlighted/);
        assert.equal(await c.locator('i').count(), 0, 'comment text is never HTML');
      }
      await screenshot(pat, outDir, 'moderation-chat');
    });

    await step('a moderator appointed by the streamer deletes a comment and it disappears for everyone', async () => {
      const row = streamer.page.locator(`[data-testid="viewer-row"][data-username="${names.mod}"]`);
      await row.getByTestId('make-moderator').click();
      await row.locator('.role-badge--moderator').waitFor();
      // The moderator's own page now has the inline actions; the viewer does not.
      await comment(mod, 'Hola desde el público').getByTestId('comment-delete').waitFor();

      await say(troll, 'spam spam spam');
      const spam = [streamer, mod, pat, troll].map((p) => comment(p, 'spam spam spam'));
      for (const c of spam) await c.waitFor();
      await screenshot(mod, outDir, 'moderation-moderator-view');
      await spam[1].getByTestId('comment-delete').click();
      for (const c of spam) await c.waitFor({ state: 'detached' });
      for (const p of [streamer, mod, pat, troll]) assert.equal(await comment(p, 'Hola desde el público').count(), 1, `${p.name} keeps the other comments`);
    });

    await step('a plain viewer gets no moderation controls and the server refuses them if forced', async () => {
      await say(troll, 'sigo aquí');
      surviving.push('sigo aquí');
      const target = comment(streamer, 'sigo aquí');
      await target.waitFor();
      await comment(pat, 'sigo aquí').waitFor();
      const commentId = Number(await target.getAttribute('data-comment-id'));

      // No controls anywhere on the plain viewer's page (their chat has comments by others).
      assert.ok((await pat.page.getByTestId('chat-comment').count()) >= 3);
      for (const id of ['comment-delete', 'comment-timeout-60', 'comment-timeout-600', 'comment-kick', 'viewer-list', 'make-moderator', 'viewer-kick']) {
        assert.equal(await pat.page.getByTestId(id).count(), 0, `plain viewer sees no ${id}`);
      }
      assert.equal(await pat.page.getByRole('group', { name: /^Moderate / }).count(), 0);

      // Forced over the viewer's own page socket: each one is refused with `error forbidden`.
      const before = await Promise.all([streamer, mod, troll].map(frameCount));
      for (const message of [
        { type: 'delete_comment', comment_id: commentId },
        { type: 'timeout_user', username: names.troll, seconds: 60 },
        { type: 'kick_user', username: names.troll },
        { type: 'add_moderator', username: names.pat },
      ]) {
        const answer = await sendOverPageSocket(pat, message);
        assert.equal(answer?.type, 'error', `${message.type}: answer ${JSON.stringify(answer)}`);
        assert.equal(answer.error, 'forbidden', `${message.type}: ${JSON.stringify(answer)}`);
      }
      // Nothing changed for the others: a later comment arrives after any effect would have, and no
      // deletion, timeout, kick or role change reached anyone.
      await say(streamer, 'todo sigue igual');
      surviving.push('todo sigue igual');
      for (const p of [streamer, mod, troll]) await comment(p, 'todo sigue igual').waitFor();
      const seen = await Promise.all([streamer, mod, troll].map((p, i) => framesSince(p, before[i])));
      for (const [i, types] of seen.entries()) {
        for (const bad of ['comment_deleted', 'user_timed_out', 'user_kicked', 'kicked', 'roles_update']) {
          assert.ok(!types.includes(bad), `${[streamer, mod, troll][i].name} received ${bad} after a refused action`);
        }
      }
      for (const p of [streamer, mod, troll]) assert.equal(await comment(p, 'sigo aquí').count(), 1);
      await troll.page.getByTestId('chat-input').waitFor();
      assert.equal(await troll.page.locator('[data-testid="watch-state"]').getAttribute('data-state'), 'live');
      await screenshot(pat, outDir, 'moderation-viewer-refused');
    });

    await step('a timed-out user cannot comment and can again after the timeout', async () => {
      // The UI offers 1 min and more; a short timeout goes over the moderator's own page socket.
      const answer = sendOverPageSocket(mod, { type: 'timeout_user', username: names.troll, seconds: TIMEOUT_S }, { timeout: 1500 });
      await troll.page.getByTestId('chat-timed-out').waitFor({ timeout: 5000 });
      const timedOutAt = Date.now();
      assert.equal(await answer, null, 'no error for the moderator');
      assert.equal(await troll.page.getByTestId('chat-input').count(), 0, 'no chat box while timed out');
      await screenshot(troll, outDir, 'moderation-timed-out');
      // The server refuses a comment forced over the socket, and nobody sees it.
      const refused = await sendOverPageSocket(troll, { type: 'comment', content: 'no me callan' });
      assert.equal(refused?.type, 'error', `comment while timed out: ${JSON.stringify(refused)}`);
      // (The page shows the refusal as a notice, since the forced frame is not one of its own comments.)
      await troll.page.getByRole('button', { name: 'Dismiss message' }).click({ timeout: 3000 });
      // The user can still watch.
      assert.equal(await troll.page.locator('[data-testid="watch-state"]').getAttribute('data-state'), 'live');

      // After the timeout the box comes back by itself, and a comment goes through.
      await troll.page.getByTestId('chat-input').waitFor({ timeout: TIMEOUT_S * 1000 + 4000 });
      assert.ok(Date.now() - timedOutAt >= (TIMEOUT_S - 1.5) * 1000, 'the box came back only after the timeout');
      await say(troll, 'ya puedo hablar');
      surviving.push('ya puedo hablar');
      for (const p of [streamer, mod, pat]) await comment(p, 'ya puedo hablar').waitFor();
      for (const p of [streamer, mod, pat, troll]) assert.equal(await comment(p, 'no me callan').count(), 0);
    });

    await step('a viewer who joins after the stream went live gets video', async () => {
      late = await join('late');
      await late.page.goto(`/live/${streamId}`, { waitUntil: 'domcontentloaded' });
      await late.page.locator('[data-testid="watch-state"][data-state="live"]').waitFor();
      await assertVideoPlays(late);
      // It sees the chat history too.
      await comment(late, 'ya puedo hablar').waitFor();
      for (const p of [...watchers(), late]) await waitForCount(p.page, 'viewer-count', 4);
      await streamer.page.getByTestId('studio-viewer-count').filter({ hasText: /^4$/ }).waitFor();
      await screenshot(late, outDir, 'moderation-late-joiner');
    });

    await step('a kicked user is removed and sees why', async () => {
      await comment(mod, 'ya puedo hablar').getByTestId('comment-kick').click();
      await troll.page.locator('[data-testid="watch-state"][data-state="kicked"]').waitFor();
      const notice = troll.page.getByTestId('kicked-notice');
      await notice.waitFor();
      const why = await troll.page.getByTestId('watch-placeholder').textContent();
      assert.match(why, new RegExp(`${names.mod} removed you`), `kicked page says by whom: ${why}`);
      assert.equal(await troll.page.getByTestId('chat-input').count(), 0);
      assert.equal(await troll.page.getByTestId('viewer-count').count(), 0, 'no stale viewer count once removed');
      await screenshot(troll, outDir, 'moderation-kicked');

      // The others see the user leave.
      for (const p of [mod, pat, late]) await waitForCount(p.page, 'viewer-count', 3);
      await streamer.page.getByTestId('studio-viewer-count').filter({ hasText: /^3$/ }).waitFor();
      await streamer.page.locator(`[data-testid="viewer-row"][data-username="${names.troll}"]`).waitFor({ state: 'detached' });

      // Coming back is refused while the kick lasts.
      await troll.page.reload({ waitUntil: 'domcontentloaded' });
      await troll.page.locator('[data-testid="watch-state"][data-state="kicked"]').waitFor();
      await waitForCount(pat.page, 'viewer-count', 3);
    });

    await step('the statistics page shows the right numbers and a chart', async () => {
      await streamer.page.getByTestId('end-stream').click();
      await streamer.page.getByTestId('studio-ended').waitFor();
      endedAt = Date.now();
      for (const p of [mod, pat, late]) await p.page.locator('[data-testid="watch-state"][data-state="ended"]').waitFor();

      await pat.page.getByTestId('stats-link').click();
      await pat.page.waitForURL(new RegExp(`/live/${streamId}/stats$`));
      await pat.page.getByTestId('stats-figures').waitFor();
      const text = async (id) => (await pat.page.getByTestId(id).textContent()).trim();
      assert.equal(await text('stat-peak'), '4', 'peak viewers');
      assert.equal(await text('stat-viewers'), '0', 'nobody watches an ended stream');
      assert.equal(await text('stat-comments'), String(surviving.length), 'comments (deleted and refused ones not counted)');
      const [m, s] = (await text('stat-duration')).split(':').map(Number);
      const shown = m * 60 + s;
      const measured = (endedAt - liveAt) / 1000;
      assert.ok(Math.abs(shown - measured) <= 3, `duration ${shown} s vs measured ${measured.toFixed(1)} s`);
      const average = Number(await text('stat-average'));
      assert.ok(average > 0 && average <= 4, `average viewers ${average}`);

      const chart = pat.page.getByTestId('viewers-chart');
      await chart.waitFor();
      assert.ok(Number(await chart.getAttribute('data-points')) >= 2, 'viewer samples');
      const drawn = await pat.page.waitForFunction(
        () => {
          const canvas = document.querySelector('[data-testid="viewers-chart"] canvas');
          if (!canvas || canvas.width === 0 || canvas.height === 0) return 0;
          const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
          let painted = 0;
          for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) painted += 1;
          return painted > 500 ? painted : 0;
        },
        null,
        { timeout: WAIT_MS },
      );
      assert.ok((await drawn.jsonValue()) > 500, 'chart canvas has drawn pixels');
      await screenshot(pat, outDir, 'moderation-stats');
    });

    for (const person of people) assert.deepEqual(person.pageErrors, [], `uncaught errors in ${person.name}'s page`);
  } finally {
    for (const person of people) await person.context.close().catch(() => {});
  }
});
