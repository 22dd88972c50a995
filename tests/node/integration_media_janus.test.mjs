// The media protocol with --media janus (docs/PROTOCOL.md "Media through the server", docs/API.md "WHIP and
// WHEP") against the real binary, a real Janus 1.1.2 and Chromium pages that speak the protocol with plain
// browser APIs (lib/rtc_client.js). Asserts what viewers see: decoded frames, picture widths, closed sockets,
// and Janus's own state (rooms) through its API. Runs in the test namespace with the veth pair (scripts/test.sh).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { JanusClient } from './lib/janus.mjs';
import { api, createStream, getStream, register, runRedred, uniqueName } from './lib/live.mjs';
import { keepFailureEvidence, launchMediaBrowser, health, metricsValue, pageWait, protocolPage, startJanusAndRedred } from './lib/media.mjs';
import { startRedred, waitFor } from './lib/redred.mjs';

let janus;
let server;
let browser;
const people = [];

before(async () => {
  ({ janus, server } = await startJanusAndRedred());
  browser = await launchMediaBrowser();
});
after(async () => {
  await browser?.close().catch(() => {});
  await server?.stop();
  await janus?.stop();
});

async function person(name) {
  const p = await protocolPage(browser, server, name);
  people.push(p);
  return p;
}

async function closeAll() {
  for (const p of people.splice(0)) await p.context.close().catch(() => {});
}

// The VideoRoom rooms Janus has now (private ones too: listed with the admin key).
async function janusRooms() {
  const client = await JanusClient.connect(janus.wsUrl, janus.apiSecret);
  try {
    await client.createSession();
    const handle = await client.attach('janus.plugin.videoroom');
    const reply = await client.message(handle, { request: 'list', admin_key: janus.adminKey });
    return reply.plugindata.data.list.map((r) => r.room);
  } finally {
    client.close();
  }
}

const evidence = (name, body) => keepFailureEvidence(name, () => people, () => `--- redred log (tail):\n${server.log().slice(-5000)}\n--- janus log (tail):\n${janus.log().slice(-3000)}`, async () => {
  try { await body(); } finally { await closeAll(); }
});

// Opens the stream socket in the page as `token` (or a guest) and returns connection_established.
async function openSocket(p, streamId, token) {
  return p.page.evaluate(async ([id, t]) => {
    window.s = await rr.Socket.open(id, t);
    return window.s.next('connection_established');
  }, [streamId, token ?? null]);
}

const startWatching = (p) => p.page.evaluate(() => { window.v = rr.watch(window.s); });
const framesRise = (p) => p.page.evaluate(() => rr.framesRise(() => window.v.pc));
async function assertReceives(p) {
  await pageWait(p.page, () => window.v?.pc && rr.stats(window.v.pc).then((s) => s.framesDecoded > 0), null, { what: `${p.name} to decode frames` });
  const r = await framesRise(p);
  assert.ok(r.rising, `${p.name}: framesDecoded did not rise (${r.before.framesDecoded} -> ${r.after.framesDecoded})`);
  return r.after;
}

test('one upload, viewers through Janus, quality low, a kicked viewer stops, the end destroys the room', { timeout: 180000 }, async () => {
  await evidence('sfu', async () => {
    const streamer = await register(server);
    const kickme = await register(server, uniqueName('kickme'));
    const stream = await createStream(server, streamer.token);

    const studio = await person('studio');
    const established = await openSocket(studio, stream.id, streamer.token);
    assert.deepEqual(established.media, { mode: 'janus', server: 'up', source: null });
    await studio.page.evaluate(async () => { window.pub = await rr.publish(window.s); });
    await studio.page.evaluate(() => window.s.next('media_state', (m) => m.source === 'browser'));

    const viewers = [await person('guest1'), await person('guest2'), await person('kickme')];
    await openSocket(viewers[0], stream.id);
    await openSocket(viewers[1], stream.id);
    await openSocket(viewers[2], stream.id, kickme.token);
    for (const v of viewers) await startWatching(v);
    for (const v of viewers) {
      const s = await assertReceives(v);
      assert.ok(s.frameWidth >= 640, `${v.name} gets the high layer first (width ${s.frameWidth})`);
    }
    assert.equal(await metricsValue(server, 'redred_sfu_subscribers'), 3);

    // The streamer sends one copy: one peer connection, three simulcast video encodings, whatever the viewers.
    const upload = await studio.page.evaluate(() => rr.stats(window.pub.pc));
    assert.equal(upload.outbound, 3, 'three simulcast layers leave the studio');
    assert.ok((await janusRooms()).includes(stream.id), 'Janus has the stream\'s room');

    // Quality low: the picture gets smaller.
    const high = (await viewers[0].page.evaluate(() => rr.stats(window.v.pc))).frameWidth;
    await viewers[0].page.evaluate(() => window.s.send({ type: 'set_quality', quality: 'low' }));
    await pageWait(viewers[0].page, () => window.v.quality?.layer === 'low' && window.v.quality?.requested === 'low', null,
      { what: 'a quality message for the low layer' });
    await pageWait(viewers[0].page, (w) => rr.stats(window.v.pc).then((s) => s.frameWidth > 0 && s.frameWidth <= w / 2), high,
      { what: `a frame narrower than half of ${high}` });
    assert.ok((await framesRise(viewers[0])).rising, 'low layer keeps playing');

    // Kick: the socket closes (4001) and the media stops at Janus, not only the socket.
    await studio.page.evaluate((name) => window.s.send({ type: 'kick_user', username: name }), kickme.user.username);
    const kicked = await viewers[2].page.evaluate(async () => {
      await window.s.next('kicked');
      await rr.sleep(300);
      return window.s.closed;
    });
    assert.equal(kicked?.code, 4001);
    await viewers[2].page.waitForTimeout(1000);
    const stopped = await framesRise(viewers[2]);
    assert.ok(!stopped.rising, `the kicked viewer still decodes (${stopped.before.framesDecoded} -> ${stopped.after.framesDecoded})`);
    assert.equal(await metricsValue(server, 'redred_sfu_kicked_subscriptions_total'), 1);
    assert.ok((await framesRise(viewers[1])).rising, 'the others keep playing');

    // The end: every viewer hears it; the room at Janus is gone.
    await studio.page.evaluate(() => window.s.send({ type: 'end_stream' }));
    for (const v of viewers.slice(0, 2)) await v.page.evaluate(() => window.s.next('stream_ended'));
    await waitFor(async () => !(await janusRooms()).includes(stream.id), { timeoutMs: 5000, what: 'Janus to drop the room' });
    assert.equal((await getStream(server, stream.id)).status, 'ended');
  });
});

test('offers from the server only while the stream is live; p2p signaling is refused in janus mode', { timeout: 60000 }, async () => {
  await evidence('rules', async () => {
    const streamer = await register(server);
    const stream = await createStream(server, streamer.token);
    const viewer = await person('early');
    await openSocket(viewer, stream.id);
    await startWatching(viewer);
    // Waiting stream, nothing published: no offer.
    await viewer.page.waitForTimeout(800);
    assert.equal(await viewer.page.evaluate(() => window.v.offers), 0);
    // A viewer cannot publish, and peer-to-peer messages are refused.
    const refusals = await viewer.page.evaluate(async () => {
      window.s.send({ type: 'offer', peer: 'server', sdp: 'v=0', ref: 'a' });
      window.s.send({ type: 'offer', target: 1, sdp: 'v=0', ref: 'b' });
      const a = await window.s.next('error', (m) => m.ref === 'a');
      const b = await window.s.next('error', (m) => m.ref === 'b');
      return [a.error, b.error];
    });
    assert.deepEqual(refusals, ['forbidden', 'conflict']);
    // The streamer arrives and publishes: the waiting viewer gets its offer and video.
    const studio = await person('studio2');
    await openSocket(studio, stream.id, streamer.token);
    await studio.page.evaluate(async () => { window.pub = await rr.publish(window.s, { layers: false, width: 640, height: 480 }); });
    await assertReceives(viewer);
    // The studio leaves: the publication is torn down, viewers hear there is no source.
    await studio.page.evaluate(() => window.s.close());
    await viewer.page.evaluate(() => window.s.next('media_state', (m) => m.source === null));
  });
});

test('WHIP: wrong key 401, the key publishes and makes the stream live, a viewer watches, DELETE ends it', { timeout: 90000 }, async () => {
  await evidence('whip', async () => {
    const streamer = await register(server);
    const stream = await createStream(server, streamer.token);
    const other = await register(server);
    assert.equal((await api(server, `/api/live/${stream.id}/key/`, { method: 'POST', token: other.token })).status, 403);
    const made = await api(server, `/api/live/${stream.id}/key/`, { method: 'POST', token: streamer.token });
    assert.equal(made.status, 201, made.text);
    assert.equal(made.body.whip_url, `/whip/${stream.id}`);
    const key = made.body.stream_key;
    const info = await api(server, `/api/live/${stream.id}/key/`, { token: streamer.token });
    assert.equal(info.body.has_key, true);
    assert.ok(!JSON.stringify(info.body).includes(key), 'the key is never shown again');

    const encoder = await person('encoder');
    const whipUrl = `${server.url}/whip/${stream.id}`;
    const wrong = await encoder.page.evaluate((u) => rr.whipPublish(u, 'not-the-key'), whipUrl);
    assert.equal(wrong.status, 401);
    const none = await encoder.page.evaluate((u) => rr.whipPublish(u, undefined), whipUrl);
    assert.equal(none.status, 401);
    assert.equal((await getStream(server, stream.id)).status, 'waiting');

    const viewer = await person('whip-viewer');
    await openSocket(viewer, stream.id);
    await startWatching(viewer);
    const ok = await encoder.page.evaluate(([u, k]) => rr.whipPublish(u, k), [whipUrl, key]);
    assert.equal(ok.status, 201, ok.body);
    assert.equal(ok.contentType, 'application/sdp');
    assert.match(ok.location, new RegExp(`^/whip/${stream.id}/[0-9a-f]{32}$`));
    assert.equal((await getStream(server, stream.id)).status, 'live');
    await viewer.page.evaluate(() => window.s.next('media_state', (m) => m.source === 'whip'));
    await assertReceives(viewer);

    // A new key invalidates the old one.
    const again = await api(server, `/api/live/${stream.id}/key/`, { method: 'POST', token: streamer.token });
    const stale = await fetch(whipUrl, { method: 'POST', headers: { 'content-type': 'application/sdp', authorization: `Bearer ${key}` }, body: 'v=0\r\n' });
    assert.equal(stale.status, 401);
    assert.notEqual(again.body.stream_key, key);

    // Trickle on the session is accepted; DELETE ends the stream for everyone.
    const patch = await fetch(server.url + ok.location, {
      method: 'PATCH', headers: { 'content-type': 'application/trickle-ice-sdpfrag' },
      body: 'a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\na=end-of-candidates\r\n',
    });
    assert.equal(patch.status, 204);
    const del = await fetch(server.url + ok.location, { method: 'DELETE' });
    assert.equal(del.status, 200);
    await viewer.page.evaluate(() => window.s.next('stream_ended'));
    assert.equal((await getStream(server, stream.id)).status, 'ended');
    assert.equal((await fetch(server.url + ok.location, { method: 'DELETE' })).status, 404);
  });
});

test('WHEP: a plain WHEP player receives frames and counts as a viewer; DELETE leaves the count', { timeout: 90000 }, async () => {
  await evidence('whep', async () => {
    const streamer = await register(server);
    const stream = await createStream(server, streamer.token);
    const whepUrl = `${server.url}/whep/${stream.id}`;
    const player = await person('whep-player');
    const notLive = await player.page.evaluate((u) => rr.whepPlay(u), whepUrl);
    assert.equal(notLive.status, 409, notLive.body);

    const studio = await person('studio3');
    await openSocket(studio, stream.id, streamer.token);
    await studio.page.evaluate(async () => { window.pub = await rr.publish(window.s); });
    await studio.page.evaluate(() => window.s.next('media_state', (m) => m.source === 'browser'));
    // The publication must be flowing before a WHEP player can be fed.
    let last;
    await waitFor(async () => (last = await player.page.evaluate((u) => rr.whepPlay(u), whepUrl)).status === 201,
      { timeoutMs: 15000, intervalMs: 500, what: 'WHEP to answer 201' }).catch((e) => { throw new Error(`${e.message}; last answer ${JSON.stringify(last)}`); });
    assert.equal(last.contentType, 'application/sdp');
    assert.match(last.location, new RegExp(`^/whep/${stream.id}/[0-9a-f]{32}$`));
    const played = await player.page.evaluate(async () => {
      const pc = window.__whep;
      for (let i = 0; i < 60; i++) {
        const s = await rr.stats(pc);
        if (s.framesDecoded > 5) return s;
        await rr.sleep(250);
      }
      return rr.stats(pc);
    });
    assert.ok(played.framesDecoded > 5, `the WHEP player decodes frames (${JSON.stringify(played)})`);
    assert.ok(played.frameWidth > 0);
    const rising = await player.page.evaluate(() => rr.framesRise(() => window.__whep));
    assert.ok(rising.rising, 'WHEP video keeps coming');
    const counted = () => studio.page.evaluate(() => window.s.messages.filter((m) => m.type === 'viewers_update').at(-1)?.viewers_count);
    await waitFor(async () => (await counted()) === 1, { timeoutMs: 5000, what: 'the WHEP player to be counted' });
    assert.equal(await metricsValue(server, 'redred_whep_sessions'), 1);

    // Bad input: not SDP, wrong content type, an offer that sends instead of receiving.
    const bad = await fetch(whepUrl, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hello' });
    assert.equal(bad.status, 400);
    const garbage = await fetch(whepUrl, { method: 'POST', headers: { 'content-type': 'application/sdp' }, body: 'hello' });
    assert.equal(garbage.status, 400);
    const sending = await fetch(whepUrl, { method: 'POST', headers: { 'content-type': 'application/sdp' },
      body: 'v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=sendonly\r\na=rtpmap:96 VP8/90000\r\n' });
    assert.equal(sending.status, 400);
    const preflight = await fetch(whepUrl, { method: 'OPTIONS' });
    assert.equal(preflight.status, 204);
    assert.match(preflight.headers.get('access-control-allow-methods'), /POST/);

    // DELETE: the player leaves the count and its session is gone.
    const del = await fetch(server.url + last.location, { method: 'DELETE' });
    assert.equal(del.status, 200);
    await waitFor(async () => (await counted()) === 0, { timeoutMs: 5000, what: 'the WHEP player to leave the count' });
    assert.equal(await metricsValue(server, 'redred_whep_sessions'), 0);
    assert.equal((await fetch(server.url + last.location, { method: 'DELETE' })).status, 404);
  });
});

test('Janus restarts: media_state down then up, healthz degraded meanwhile, the studio publishes again, viewers get video back', { timeout: 120000 }, async () => {
  await evidence('restart', async () => {
    const streamer = await register(server);
    const stream = await createStream(server, streamer.token);
    const studio = await person('studio4');
    await openSocket(studio, stream.id, streamer.token);
    // The studio's behaviour, as the web UI does it: publish when the server is up.
    await studio.page.evaluate(async () => {
      window.pub = await rr.publish(window.s, { layers: false, width: 640, height: 480 });
      window.s.on('media_state', async (m) => {
        if (m.server === 'up' && m.source === null && !window.republishing) {
          window.republishing = true;
          window.pub.pc.close();
          window.pub = await rr.publish(window.s, { layers: false, width: 640, height: 480 });
          window.republished = true;
        }
      });
    });
    const viewer = await person('restart-viewer');
    await openSocket(viewer, stream.id);
    await startWatching(viewer);
    await assertReceives(viewer);

    await janus.restart({ downMs: 1500 });
    await viewer.page.evaluate(() => window.s.next('media_state', (m) => m.server === 'down', 10000));
    await viewer.page.evaluate(() => window.s.next('media_state', (m) => m.server === 'up', 20000));
    await pageWait(studio.page, () => window.republished === true, null, { what: 'the studio to publish again' });
    await pageWait(viewer.page, () => window.v.offers >= 2, null, { what: 'a new offer for the viewer' });
    await assertReceives(viewer);
    const h = await health(server);
    assert.equal(h.status, 200, h.text);
    assert.equal(h.body.media.janus, 'up');
    assert.equal(await metricsValue(server, 'redred_media_server_sessions_total') >= 2, true);
  });
});

test('with --media p2p, WHIP, WHEP and stream keys answer 409 saying why', { timeout: 30000 }, async () => {
  const p2p = await startRedred();
  try {
    const streamer = await register(p2p);
    const stream = await createStream(p2p, streamer.token);
    for (const path of [`/whip/${stream.id}`, `/whep/${stream.id}`]) {
      const res = await fetch(p2p.url + path, { method: 'POST', headers: { 'content-type': 'application/sdp' }, body: 'v=0\r\n' });
      const body = await res.json();
      assert.equal(res.status, 409);
      assert.match(body.message, /--media janus/);
      assert.equal(res.headers.get('access-control-allow-origin'), '*');
    }
    const key = await api(p2p, `/api/live/${stream.id}/key/`, { method: 'POST', token: streamer.token });
    assert.equal(key.status, 409);
    assert.match(key.body.message, /--media janus/);
    const h = await health(p2p);
    assert.deepEqual(h.body.media, { mode: 'p2p' });
  } finally {
    await p2p.stop();
  }
});

test('healthz reports Janus down and the degraded status while it is unreachable', { timeout: 30000 }, async () => {
  const dead = await startRedred({ args: ['--media', 'janus', '--janus-url', 'ws://127.0.0.1:9'] });
  try {
    const h = await health(dead);
    assert.equal(h.status, 503);
    assert.equal(h.body.status, 'degraded');
    assert.equal(h.body.media.janus, 'down');
    assert.match(h.body.message, /media server/);
  } finally {
    await dead.stop();
  }
});

test('redred doctor --media janus checks Janus, its plugins and the admin key', { timeout: 60000 }, async () => {
  const base = ['doctor', '--screen-source', 'pattern', '--media', 'janus', '--janus-url', janus.wsUrl,
    '--janus-api-secret', janus.apiSecret];
  const good = await runRedred([...base, '--janus-admin-key', janus.adminKey]);
  assert.equal(good.code, 0, good.stdout + good.stderr);
  assert.match(good.stdout, /ok +media server +Janus 1\.1\.2/);
  assert.match(good.stdout, /ok +nosip/);
  assert.match(good.stdout, /ok +media rooms +a room was made and destroyed/);
  const wrongKey = await runRedred([...base, '--janus-admin-key', 'not-the-key']);
  assert.equal(wrongKey.code, 1, wrongKey.stdout);
  assert.match(wrongKey.stdout, /FAIL +media rooms/);
  const wrongSecret = await runRedred(['doctor', '--screen-source', 'pattern', '--media', 'janus', '--janus-url', janus.wsUrl,
    '--janus-api-secret', 'nope', '--timeout-ms', '2000']);
  assert.equal(wrongSecret.code, 1, wrongSecret.stdout);
  assert.match(wrongSecret.stdout, /FAIL +media server/);
});
