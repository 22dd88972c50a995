// Browser end-to-end tests of the live platform on two redred processes (one Redis, one PostgreSQL), behind
// the HAProxy configuration redred ships (deploy/haproxy.cfg, run by Debian's haproxy with only its addresses
// changed; lib/haproxy.mjs). What a user sees is asserted:
// - drain: the process holding the viewer's WebSocket gets SIGTERM; the page reconnects through the load
//   balancer to the other process within seconds, keeps the chat it had, gets new messages, the video comes
//   back, the count never doubles and the stream stays live; the same when the streamer's process drains;
// - broadcast across processes: the streamer on one process, two viewers on the other: video, counts, chat
//   both ways, the end;
// - Redis down: every process says "degraded", and the load balancer keeps serving through them.
// Run inside a loopback-only network namespace (CTest does); screenshots go to test-output/e2e_cluster/.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startRedis, startRedred, testOutputDir, waitFor } from './lib/redred.mjs';
import { startPostgres } from './lib/postgres.mjs';
import { startHaproxy } from './lib/haproxy.mjs';
import { api, createStream, join as joinWs, register, uniqueName } from './lib/live.mjs';
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
  waitForCount,
  webRoot,
} from './lib/browser.mjs';

const outDir = testOutputDir('e2e_cluster');

let redis;
let postgres;
let browser;
before(async () => {
  assertPrerequisites();
  [redis, postgres, browser] = await Promise.all([startRedis(), startPostgres(), launchBrowser()]);
});
after(async () => {
  await browser?.close().catch(() => {});
  await Promise.all([redis?.stop(), postgres?.stop()]);
});

// Two (or more) processes on a fresh PostgreSQL database and a fresh Redis database, serving the web UI.
// Each process gets `name` (a, b, ...) and `tag`: the high bits of every connection id it hands out.
let redisDb = 0;
async function startCluster(count) {
  const database = await postgres.createDatabase();
  redisDb = (redisDb % 15) + 1;
  const args = ['--redis', `redis://127.0.0.1:${redis.port}/${redisDb}`, '--database', database];
  const servers = [];
  for (let i = 0; i < count; i++) {
    const server = await startRedred({ args, webRoot });
    server.name = 'abcdefgh'[i];
    const health = await (await fetch(`${server.url}/healthz`)).json();
    server.tag = Number(health.cluster?.tag);
    assert.ok(server.tag > 0, `process ${server.name}: no cluster tag in /healthz ${JSON.stringify(health)}`);
    servers.push(server);
  }
  return servers;
}

// Records, in each page, the stream WebSocket's `connection_established` messages and close codes.
const socketSpy = () => {
  const Native = window.WebSocket;
  window.__live = { established: [], closes: [] };
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      if (!String(args[0]).includes('/ws/live/')) return;
      this.addEventListener('message', (event) => {
        try {
          const data = JSON.parse(event.data);
          for (const m of Array.isArray(data) ? data : [data])
            if (m?.type === 'connection_established') window.__live.established.push({ cid: Number(m.connection_id), at: Date.now() });
        } catch {
          /* not JSON */
        }
      });
      this.addEventListener('close', (event) => window.__live.closes.push({ code: event.code, at: Date.now() }));
    }
  };
};

const liveLog = (person) => person.page.evaluate(() => window.__live);

// The process holding the person's current stream WebSocket (from its connection id's tag).
async function processOf(person, servers) {
  const { established } = await liveLog(person);
  const last = established.at(-1);
  assert.ok(last, `${person.name} has no stream connection`);
  const tag = Math.floor(last.cid / 2 ** 32);
  const server = servers.find((s) => s.tag === tag);
  assert.ok(server, `${person.name}'s connection ${last.cid} (tag ${tag}) is on none of ${servers.map((s) => s.tag)}`);
  return server;
}

// Runs `body(join)`; on failure saves a screenshot per person and adds page errors and every process's log.
async function withPeople(name, { servers, haproxy }, body) {
  const people = [];
  const join = async (who, baseUrl, options) => {
    const person = await newPerson(browser, who, baseUrl, options);
    await person.page.addInitScript(socketSpy);
    people.push(person);
    return person;
  };
  try {
    await body(join);
    for (const person of people) assert.deepEqual(person.pageErrors, [], `uncaught errors in ${person.name}'s page`);
  } catch (error) {
    for (const person of people) await screenshot(person, outDir, `${name}-${person.name}-failure`);
    let detail = '';
    for (const p of people) {
      const live = await liveLog(p).catch(() => null);
      detail += `\n--- ${p.name}: page errors ${JSON.stringify(p.pageErrors)}; console ${JSON.stringify(p.console.slice(-10))}; sockets ${JSON.stringify(live)}`;
    }
    for (const s of servers) detail += `\n--- redred ${s.name} (port ${s.port}, tag ${s.tag}) log (tail):\n${s.log().slice(-3000)}`;
    if (haproxy) {
      const states = await haproxy.states().catch((e) => e.message);
      detail += `\n--- haproxy servers ${JSON.stringify(states)}; output:\n${haproxy.log().slice(-2000)}`;
    }
    throw new Error(`${error.message}${detail}`, { cause: error });
  } finally {
    for (const person of people) await person.context.close().catch(() => {});
  }
}

async function stopAll(servers, haproxy) {
  await haproxy?.stop();
  await Promise.all(servers.map((s) => s.stop()));
}

// The streamer signs up, creates a stream and goes live with the fake camera; resolves with the stream id.
async function goLive(streamer, title) {
  await signUp(streamer, unique('ana'), PASSWORD);
  await streamer.page.goto('/new');
  await streamer.page.getByTestId('stream-title').fill(title);
  await streamer.page.getByTestId('create-stream').click();
  await streamer.page.waitForURL(/\/studio\/\d+$/);
  const streamId = Number(new URL(streamer.page.url()).pathname.split('/').pop());
  await streamer.page.getByTestId('source-camera').check();
  await streamer.page.getByTestId('go-live').click();
  await streamer.page.locator('[data-testid="studio-state"][data-state="live"]').waitFor();
  await streamer.page.waitForFunction(() => document.querySelector('[data-testid="studio-preview"]')?.videoWidth > 0, null, { timeout: WAIT_MS });
  return streamId;
}

// Sends a chat message from `from`'s page and waits until `to`'s page shows it; returns that comment element.
async function chat(from, to, text) {
  await from.page.getByTestId('chat-input').fill(text);
  await from.page.getByTestId('chat-send').click();
  await from.page.getByTestId('chat-input').and(from.page.locator('[value=""]')).waitFor();
  const shown = to.page.getByTestId('chat-comment').filter({ hasText: text });
  await shown.waitFor();
  return shown;
}

const chatTexts = (person) => person.page.getByTestId('comment-text').allTextContents();

// The streamer goes live through the load balancer; a signed-up viewer watches through it too, with its socket
// on the process the streamer's is not on (leastconn puts it there; a reload moves it if not). Both have
// chatted. Resolves with { streamer, viewer, streamId, streamerProcess, viewerProcess }.
async function liveBehindLoadBalancer(t, join, servers, haproxy) {
  const streamer = await join('streamer', haproxy.url);
  const streamId = await goLive(streamer, 'Detrás del balanceador');
  const streamerProcess = await processOf(streamer, servers);
  const viewer = await join('viewer', haproxy.url);
  await signUp(viewer, unique('bea'), PASSWORD);
  let viewerProcess;
  let loads = 0;
  while (loads < 6) {
    loads += 1;
    await viewer.page.goto(`/live/${streamId}`);
    await viewer.page.locator('[data-testid="watch-state"][data-state="live"]').waitFor();
    viewerProcess = await processOf(viewer, servers);
    if (viewerProcess !== streamerProcess) break;
  }
  assert.notEqual(viewerProcess, streamerProcess, `the viewer's socket stayed on the streamer's process ${streamerProcess.name}`);
  t.diagnostic(`streamer on ${streamerProcess.name}, viewer on ${viewerProcess.name} (page loads: ${loads})`);
  await assertVideoPlays(viewer);
  await waitForCount(viewer.page, 'viewer-count', 1);
  await streamer.page.getByTestId('studio-viewer-count').filter({ hasText: /^1$/ }).waitFor();
  await chat(viewer, streamer, 'Hola antes del corte');
  await chat(streamer, viewer, 'Bienvenida antes del corte');
  assert.deepEqual(await chatTexts(viewer), ['Hola antes del corte', 'Bienvenida antes del corte']);
  return { streamer, viewer, streamId, streamerProcess, viewerProcess };
}

const markPeer = (person) => person.page.evaluate(() => {
  window.__peerBeforeDrain = [...(window.__redredPeers?.values() ?? [])][0] ?? null;
});

// The viewer's video comes back on a new peer connection (offered by the streamer after the move) and plays.
async function videoPlaysAgain(viewer) {
  await viewer.page.waitForFunction(() => {
    const peers = [...(window.__redredPeers?.values() ?? [])];
    return peers.length === 1 && peers[0] !== window.__peerBeforeDrain;
  }, null, { timeout: WAIT_MS });
  await assertVideoPlays(viewer);
}

// SIGTERMs `server` while `moving` (the person whose socket is on it) watches: asserts the page saw one close,
// 1012, and its first attempt to reconnect reached `to` within 2.5 s; that the process exited cleanly
// within 5 s; and that HAProxy's health check then took it out.
async function drainAndFollow(t, { server, servers, haproxy, moving, to }) {
  const before = (await liveLog(moving)).established.length;
  const sigtermAt = Date.now();
  const exited = server.stop('SIGTERM').then((result) => ({ ...result, at: Date.now() }));
  await moving.page.waitForFunction(
    ([count, since, tag]) => {
      const live = window.__live;
      return live.closes.some((c) => c.code === 1012 && c.at >= since) &&
        live.established.slice(count).some((e) => Math.floor(e.cid / 2 ** 32) === tag);
    },
    [before, sigtermAt, to.tag],
    { timeout: 8000 },
  );
  const took = (await liveLog(moving)).established.at(-1).at - sigtermAt;
  const { code, signal, at: exitedAt } = await exited;
  t.diagnostic(`${moving.name} reconnected ${took} ms after SIGTERM; the process exited after ${exitedAt - sigtermAt} ms`);
  // The page waits 0.25-0.75 s after a 1012; HAProxy retries the drained process's refused connections on
  // another one at once (without `option redispatch` the first attempt hangs in retries for ~3 s).
  assert.ok(took < 2500, `${moving.name} reconnected ${took} ms after SIGTERM`);
  assert.equal(code, 0, `the drained process exited with ${code ?? signal}`);
  assert.ok(exitedAt - sigtermAt < 5000, `the drained process took ${exitedAt - sigtermAt} ms to exit`);
  const closes = (await liveLog(moving)).closes.filter((c) => c.at >= sigtermAt).map((c) => c.code);
  assert.deepEqual(closes, [1012], `${moving.name}: one close (service restart), then the first attempt to reconnect succeeds`);
  assert.equal(await processOf(moving, servers), to, `${moving.name} is now on process ${to.name}`);
  // The shipped file names its servers after their ports: 8081 is the first process here, 8082 the second.
  const name = `redred${8081 + servers.indexOf(server)}`;
  await waitFor(async () => (await haproxy.states()).find((s) => s.backend === 'redred' && s.server === name)?.status === 'DOWN',
    { timeoutMs: 5000, what: `HAProxy to mark ${name} DOWN` });
  return sigtermAt;
}

test('SIGTERM drains the viewer\'s process: the page reconnects through the load balancer to the other one', { timeout: 180000 }, async (t) => {
  const servers = await startCluster(2);
  const haproxy = await startHaproxy({ ports: servers.map((s) => s.port) }).catch(async (e) => { await stopAll(servers); throw e; });
  try {
    await withPeople('drain-viewer', { servers, haproxy }, async (join) => {
      const { streamer, viewer, streamId, streamerProcess, viewerProcess } = await liveBehindLoadBalancer(t, join, servers, haproxy);
      await markPeer(viewer);
      // The studio's viewer count, sampled from now on: the viewer moving must never count twice.
      await streamer.page.evaluate(() => {
        window.__counts = [];
        setInterval(() => {
          const count = document.querySelector('[data-testid="studio-viewer-count"]')?.textContent;
          if (window.__counts.at(-1) !== count) window.__counts.push(count);
        }, 50);
      });
      const sigtermAt = await drainAndFollow(t, { server: viewerProcess, servers, haproxy, moving: viewer, to: streamerProcess });
      assert.deepEqual((await liveLog(streamer)).closes.filter((c) => c.at >= sigtermAt), [], 'the studio\'s socket stayed open');

      // What the viewer sees: still live, the chat it had (sent again by the new process), one viewer.
      await viewer.page.locator('[data-testid="watch-state"][data-state="live"]').waitFor();
      await waitFor(async () => (await chatTexts(viewer)).length === 2, { timeoutMs: WAIT_MS, what: 'the chat history after reconnecting' });
      assert.deepEqual(await chatTexts(viewer), ['Hola antes del corte', 'Bienvenida antes del corte'], 'the chat history is intact');
      await waitForCount(viewer.page, 'viewer-count', 1);
      await streamer.page.getByTestId('studio-viewer-count').filter({ hasText: /^1$/ }).waitFor();

      // New messages both ways, and the video again.
      const fromStreamer = await chat(streamer, viewer, 'Seguimos en vivo');
      assert.match(await fromStreamer.getAttribute('class'), /comment--highlighted/);
      await chat(viewer, streamer, 'Te sigo viendo');
      await videoPlaysAgain(viewer);
      await screenshot(viewer, outDir, 'drain-viewer-after');
      const counts = await streamer.page.evaluate(() => window.__counts);
      assert.ok(counts.every((c) => Number(c) <= 1), `the studio counted the moving viewer twice: ${counts.join(' → ')}`);
      const rest = await api(haproxy, `/api/live/${streamId}/`);
      assert.equal(rest.status, 200, rest.text);
      assert.equal(rest.body.stream.status, 'live', 'the stream is still live');

      // The end still reaches the viewer.
      await streamer.page.getByTestId('end-stream').click();
      await streamer.page.getByTestId('studio-ended').waitFor();
      await viewer.page.locator('[data-testid="watch-state"][data-state="ended"]').waitFor();
    });
  } finally {
    await stopAll(servers, haproxy);
  }
});

test('SIGTERM drains the streamer\'s process: the studio reconnects and keeps broadcasting to the viewer', { timeout: 180000 }, async (t) => {
  const servers = await startCluster(2);
  const haproxy = await startHaproxy({ ports: servers.map((s) => s.port) }).catch(async (e) => { await stopAll(servers); throw e; });
  try {
    await withPeople('drain-streamer', { servers, haproxy }, async (join) => {
      const { streamer, viewer, streamId, streamerProcess, viewerProcess } = await liveBehindLoadBalancer(t, join, servers, haproxy);
      await markPeer(viewer);
      const sigtermAt = await drainAndFollow(t, { server: streamerProcess, servers, haproxy, moving: streamer, to: viewerProcess });
      assert.deepEqual((await liveLog(viewer)).closes.filter((c) => c.at >= sigtermAt), [], 'the viewer\'s socket stayed open');

      // The studio is live again with its chat and its viewer; the viewer gets the video from the new connection.
      await streamer.page.locator('[data-testid="studio-state"][data-state="live"]').waitFor();
      await waitFor(async () => (await chatTexts(streamer)).length === 2, { timeoutMs: WAIT_MS, what: 'the studio\'s chat history after reconnecting' });
      assert.deepEqual(await chatTexts(streamer), ['Hola antes del corte', 'Bienvenida antes del corte'], 'the chat history is intact');
      await streamer.page.getByTestId('studio-viewer-count').filter({ hasText: /^1$/ }).waitFor();
      await videoPlaysAgain(viewer);
      assert.equal(await viewer.page.locator('[data-testid="watch-state"]').getAttribute('data-state'), 'live');
      await chat(streamer, viewer, 'Volví');
      await chat(viewer, streamer, 'Te vemos');
      await screenshot(streamer, outDir, 'drain-streamer-after');
      const rest = await api(haproxy, `/api/live/${streamId}/`);
      assert.equal(rest.body.stream.status, 'live', 'the stream is still live');
    });
  } finally {
    await stopAll(servers, haproxy);
  }
});

test('broadcast across processes: the streamer on one, two viewers on the other: video, counts, chat, end', { timeout: 180000 }, async () => {
  const servers = await startCluster(2);
  const [a, b] = servers;
  try {
    await withPeople('across', { servers }, async (join) => {
      const streamer = await join('streamer', a.url);
      const streamId = await goLive(streamer, 'Clase entre procesos');
      assert.equal(await processOf(streamer, servers), a);

      // Viewer 1 signs up on process b and finds the stream on its home page; viewer 2 is a guest on b.
      const viewer1 = await join('viewer1', b.url);
      const viewerName = unique('bea');
      await signUp(viewer1, viewerName, PASSWORD);
      await viewer1.page.goto('/');
      const card = viewer1.page.locator(`[data-testid="live-stream-card"][data-stream-id="${streamId}"]`);
      await card.waitFor();
      await card.getByRole('link').click();
      await viewer1.page.waitForURL(new RegExp(`/live/${streamId}$`));
      const viewer2 = await join('viewer2', b.url, { viewport: { width: 390, height: 844 } });
      await viewer2.page.goto(`/live/${streamId}`);
      await viewer2.page.getByTestId('chat-login-prompt').waitFor();

      for (const viewer of [viewer1, viewer2]) {
        await viewer.page.locator('[data-testid="watch-state"][data-state="live"]').waitFor();
        assert.equal(await processOf(viewer, servers), b, `${viewer.name} is on process b`);
        await assertVideoPlays(viewer);
      }
      for (const viewer of [viewer1, viewer2]) await waitForCount(viewer.page, 'viewer-count', 2);
      await streamer.page.getByTestId('studio-viewer-count').filter({ hasText: /^2$/ }).waitFor();
      await streamer.page.locator('[data-testid="viewer-row"]').nth(1).waitFor();
      await screenshot(streamer, outDir, 'across-studio');
      await screenshot(viewer2, outDir, 'across-viewer-phone');

      // One leaves; the count follows on both processes.
      await viewer2.context.close();
      await waitForCount(viewer1.page, 'viewer-count', 1);
      await streamer.page.getByTestId('studio-viewer-count').filter({ hasText: /^1$/ }).waitFor();

      // Chat both ways across the processes.
      const fromViewer = await chat(viewer1, streamer, 'Hola desde el proceso b');
      assert.match(await fromViewer.getByTestId('comment-author').textContent(), new RegExp(viewerName));
      const fromStreamer = await chat(streamer, viewer1, 'Saludos desde el proceso a');
      assert.match(await fromStreamer.getAttribute('class'), /comment--highlighted/);

      // The end reaches the viewer on the other process; its statistics are the whole cluster's.
      await streamer.page.getByTestId('end-stream').click();
      await streamer.page.getByTestId('studio-ended').waitFor();
      await viewer1.page.locator('[data-testid="watch-state"][data-state="ended"]').waitFor();
      await viewer1.page.getByTestId('stream-ended').waitFor();
      await viewer1.page.getByTestId('stats-link').click();
      await viewer1.page.getByTestId('stat-peak').filter({ hasText: /^2$/ }).waitFor();
      assert.equal(await viewer1.page.getByTestId('stat-comments').textContent(), '2');
    });
  } finally {
    await stopAll(servers);
  }
});

test('Redis down: every process is degraded and the load balancer keeps serving through them', { timeout: 120000 }, async () => {
  const servers = await startCluster(2);
  const haproxy = await startHaproxy({ ports: servers.map((s) => s.port) }).catch(async (e) => { await stopAll(servers); throw e; });
  const redisUp = () => waitFor(async () => (await haproxy.states()).filter((s) => s.backend === 'redred').every((s) => s.status === 'UP'),
    { timeoutMs: 15000, what: 'every process back in the healthy backend' });
  try {
    const streamer = await register(haproxy, uniqueName('streamer'));
    const stream = await createStream(haproxy, streamer.token);
    await redis.stop();
    try {
      for (const s of servers) {
        await waitFor(async () => (await fetch(`${s.url}/healthz`)).status === 503, { timeoutMs: 10000, what: `process ${s.name} to say degraded` });
      }
      await waitFor(async () => (await haproxy.states()).filter((s) => s.backend === 'redred').every((s) => s.status === 'DOWN'),
        { timeoutMs: 10000, what: 'HAProxy to take the degraded processes out of the healthy backend' });
      // Served by a process (its own degraded answer and the web UI), not refused by HAProxy.
      const health = await api(haproxy, '/healthz');
      assert.equal(health.status, 503);
      assert.equal(health.body?.status, 'degraded', health.text);
      const page = await fetch(`${haproxy.url}/live/${stream.id}`, { headers: { accept: 'text/html' } });
      assert.equal(page.status, 200);
      assert.match(await page.text(), /<div id="root">/);
      const rest = await api(haproxy, `/api/live/${stream.id}/`);
      assert.equal(rest.status, 200, rest.text);
      const client = await joinWs(haproxy, stream.id, { account: streamer });
      assert.equal(client.hello.you.role, 'streamer');
      await client.close();
    } finally {
      await redis.restart();
    }
    await redisUp();
    const health = await api(haproxy, '/healthz');
    assert.equal(health.status, 200, health.text);
  } finally {
    await stopAll(servers, haproxy);
  }
});
