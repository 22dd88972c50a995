// Browser end-to-end test of the warning step and the moderation log (issue 9; web/src/pages/{studio,watch},
// web/src/live/ChatPanel.tsx) against the real redred binary: a moderator warns a viewer from the chat with a
// reason, the viewer's page shows the warning prominently until dismissed; the streamer's Moderation tab
// lists the log (loaded over REST) and shows each new action live; a timeout's reason reaches the user it
// concerns; plain viewers have no moderation controls. Run inside a loopback-only network namespace (CTest
// does); screenshots go to test-output/e2e_live/.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { testOutputDir } from './lib/redred.mjs';
import { createStream, grantRole, register } from './lib/live.mjs';
import { newPerson, screenshot, startServerAndBrowser, stopServerAndBrowser, unique } from './lib/browser.mjs';

const outDir = testOutputDir('e2e_live');

let server;
let browser;

before(async () => { ({ server, browser } = await startServerAndBrowser()); });
after(() => stopServerAndBrowser(server, browser));

const comment = (person, text) => person.page.getByTestId('chat-comment').filter({ hasText: text });
const logEntries = (person) => person.page.getByTestId('moderation-entry');

async function say(person, text) {
  const { page } = person;
  await page.getByTestId('chat-input').fill(text);
  await page.getByTestId('chat-send').click();
  await page.getByTestId('chat-input').and(page.locator('[value=""]')).waitFor();
}

test('warn from the chat, the warned viewer sees it, the studio Moderation tab shows the log live', { timeout: 120000 }, async (t) => {
  const people = [];
  const join = async (who, account) => {
    const person = await newPerson(browser, who, server.url);
    await person.context.addCookies([{ name: 'redred_session', value: account.token, url: server.url, httpOnly: true, sameSite: 'Lax' }]);
    people.push(person);
    return person;
  };
  let ready = false;
  const step = (name, body, { first = false } = {}) =>
    t.test(name, { skip: !first && !ready && 'the setup failed' }, async () => {
      try {
        await body();
      } catch (error) {
        for (const person of people) await screenshot(person, outDir, `modlog-${name.replace(/\W+/g, '-')}-${person.name}-failure`);
        const detail =
          people.map((p) => `\n--- ${p.name}: page errors ${JSON.stringify(p.pageErrors)}; console ${JSON.stringify(p.console.slice(-8))}`).join('') +
          `\n--- redred log (tail):\n${server.log().slice(-3000)}`;
        throw new Error(`${error.message}${detail}`, { cause: error });
      }
    });

  const names = { streamer: unique('sol'), mod: unique('mod'), troll: unique('troll'), pat: unique('pat') };
  let streamer, mod, troll, pat, streamId;

  await step('setup: the streamer goes live with a moderator and two viewers watching', async () => {
    const [sAcct, mAcct, tAcct, pAcct] = await Promise.all([names.streamer, names.mod, names.troll, names.pat].map((n) => register(server, n)));
    const stream = await createStream(server, sAcct.token, { title: 'Moderation log test' });
    streamId = stream.id;
    await grantRole(server, streamId, sAcct.token, 'moderators', names.mod);  // the log's first entry
    streamer = await join('streamer', sAcct);
    await streamer.page.goto(`/studio/${streamId}`, { waitUntil: 'domcontentloaded' });
    await streamer.page.getByTestId('source-camera').check();
    await streamer.page.getByTestId('go-live').click();
    await streamer.page.locator('[data-testid="studio-state"][data-state="live"]').waitFor();
    [mod, troll, pat] = await Promise.all([join('mod', mAcct), join('troll', tAcct), join('pat', pAcct)]);
    await Promise.all([mod, troll, pat].map((p) => p.page.goto(`/live/${streamId}`, { waitUntil: 'domcontentloaded' })));
    for (const p of [mod, troll, pat]) await p.page.locator('[data-testid="watch-state"][data-state="live"]').waitFor();
    await streamer.page.getByTestId('studio-viewer-count').filter({ hasText: /^3$/ }).waitFor();
    ready = true;
  }, { first: true });

  await step('the Moderation tab loads the log over REST', async () => {
    const tab = streamer.page.getByTestId('tab-moderation');
    await tab.click();
    assert.equal(await tab.getAttribute('aria-selected'), 'true');
    await streamer.page.getByTestId('moderation-log').waitFor();
    await logEntries(streamer).first().waitFor();
    assert.equal(await logEntries(streamer).count(), 1);
    const first = logEntries(streamer).first();
    assert.equal(await first.getAttribute('data-action'), 'add_moderator');
    assert.match(await first.textContent(), new RegExp(`${names.streamer} made ${names.mod} a moderator`));
  });

  await step('a moderator warns a viewer with a reason: the viewer sees it, the studio log shows it live', async () => {
    await say(troll, 'COMPRAD SEGUIDORES BARATOS');
    await comment(mod, 'COMPRAD SEGUIDORES').waitFor();
    // Plain viewers have no moderation controls.
    assert.equal(await pat.page.getByTestId('moderation-reason').count(), 0);
    assert.equal(await comment(pat, 'COMPRAD SEGUIDORES').getByTestId('comment-warn').count(), 0);

    await mod.page.getByTestId('moderation-reason').fill('no spam, please');
    await comment(mod, 'COMPRAD SEGUIDORES').getByTestId('comment-warn').click();

    const banner = troll.page.getByTestId('warned-banner');
    await banner.waitFor();
    const text = await banner.textContent();
    assert.match(text, new RegExp(`${names.mod} warned you`));
    assert.match(text, /no spam, please/);
    assert.equal(await pat.page.getByTestId('warned-banner').count(), 0, 'only the warned viewer sees it');
    assert.equal(await mod.page.getByTestId('moderation-reason').inputValue(), '', 'the reason box is cleared after use');

    // Live in the studio's Moderation tab, newest first, without reloading.
    const newest = logEntries(streamer).first();
    await streamer.page.locator('[data-testid="moderation-entry"][data-action="warn"]').waitFor();
    assert.equal(await newest.getAttribute('data-action'), 'warn');
    assert.match(await newest.textContent(), new RegExp(`${names.mod} warned ${names.troll}.*no spam, please`));
    assert.equal(await logEntries(streamer).count(), 2);
    await screenshot(troll, outDir, 'modlog-warned-viewer');
    await screenshot(streamer, outDir, 'modlog-studio-tab');

    // The warning stays until dismissed.
    await troll.page.getByTestId('warned-dismiss').click();
    await banner.waitFor({ state: 'detached' });
  });

  await step('a timeout with a reason from the studio: the viewer sees why, the log shows it', async () => {
    await streamer.page.getByTestId('moderation-reason').fill('second warning ignored');
    await comment(streamer, 'COMPRAD SEGUIDORES').getByTestId('comment-timeout-60').click();
    const closed = troll.page.getByTestId('chat-timed-out');
    await closed.waitFor();
    assert.match(await closed.textContent(), /second warning ignored/);
    await streamer.page.locator('[data-testid="moderation-entry"][data-action="timeout"]').waitFor();
    const newest = logEntries(streamer).first();
    assert.equal(await newest.getAttribute('data-action'), 'timeout');
    assert.match(await newest.textContent(), new RegExp(`${names.streamer} timed out ${names.troll} for 1:00.*second warning ignored`));
    assert.equal(await logEntries(streamer).count(), 3);
    // Back on the Viewers tab, the list is there; the log comes back from the server when shown again.
    await streamer.page.getByTestId('tab-viewers').click();
    await streamer.page.getByTestId('viewer-list').waitFor();
    await streamer.page.getByTestId('tab-moderation').click();
    await streamer.page.locator('[data-testid="moderation-entry"][data-action="timeout"]').waitFor();
    assert.equal(await logEntries(streamer).count(), 3);
    await screenshot(troll, outDir, 'modlog-timed-out-with-reason');
  });

  for (const person of people) await person.context.close().catch(() => {});
});
