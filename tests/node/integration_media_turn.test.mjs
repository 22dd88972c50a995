// TURN (docs/API.md "WebRTC": GET /api/rtc/config with coturn use-auth-secret credentials) against a real
// coturn, in both media modes: a viewer that may only use relayed candidates (iceTransportPolicy 'relay')
// receives frames through coturn from Janus (--media janus) and from a streamer's page (peer to peer), and
// with a wrong --turn-secret it gets no relay candidate at all, so coturn really checks the credentials.
// The pages speak the protocol with lib/rtc_client.js. Runs in the test namespace with the veth pair
// (scripts/test.sh): Janus needs it, and coturn relays from its address.
//
// One coturn serves every sub-test, relaying from $REDRED_TEST_MEDIA_IP (lib/coturn.mjs): Janus only answers
// peers on that address, and the same relay address also reaches a streamer page in p2p, whose host
// candidates are 127.0.0.1 and both veth addresses: coturn's allow-loopback-peers lets it send to 127.0.0.1,
// and a packet from the veth address to any address of the same namespace is a local delivery. Checked
// with a streamer that offered only one of its three addresses: the relay connected to each. Sub-test (b)
// keeps the hardest case, a second viewer that only learns the streamer's 127.0.0.1 candidates, so one
// relay-ip for both modes stays proven (else coturn would have to be started per mode).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { startCoturn } from './lib/coturn.mjs';
import { createStream, register } from './lib/live.mjs';
import { keepFailureEvidence, launchMediaBrowser, pageWait, protocolPage, startJanusAndRedred } from './lib/media.mjs';
import { json, startRedred, waitFor } from './lib/redred.mjs';

const WRONG_SECRET = 'not-the-coturn-secret';

let coturn;
let janus;
let browser;
const servers = []; // every redred of this file, for the failure evidence
const people = [];

const turnArgs = (secret) => [...coturn.urls.flatMap((u) => ['--turn-url', u]), '--turn-secret', secret];

before(async () => {
  coturn = await startCoturn({ name: 'turn-test' });
  browser = await launchMediaBrowser();
});
after(async () => {
  await browser?.close().catch(() => {});
  for (const [, s] of servers) await s.stop();
  await janus?.stop();
  await coturn?.stop();
});

async function person(server, name) {
  const p = await protocolPage(browser, server, name);
  people.push(p);
  return p;
}

const evidence = (name, body) => keepFailureEvidence(name, () => people, () => [
  ...servers.map(([n, s]) => `--- redred ${n} log (tail):\n${s.log().slice(-3000)}`),
  janus ? `--- janus log (tail):\n${janus.log().slice(-2000)}` : '',
  `--- coturn log (tail):\n${coturn.log().slice(-3000)}`,
].join('\n'), async () => {
  try { await body(); } finally { for (const p of people.splice(0)) await p.context.close().catch(() => {}); }
});

// GET /api/rtc/config: the TURN entries carry coturn use-auth-secret credentials made with `secret`.
async function assertTurnConfig(server, secret) {
  const res = await json(`${server.url}/api/rtc/config`);
  assert.equal(res.status, 200, res.text);
  const turn = res.body.iceServers.filter((s) => [s.urls].flat().some((u) => u.startsWith('turn:')));
  assert.deepEqual(turn.flatMap((s) => [s.urls].flat()).sort(), [...coturn.urls].sort(), `TURN urls in ${res.text}`);
  for (const s of turn) {
    assert.match(s.username, /^\d+:guest$/, `username "<expiry unix>:guest" (no session here): ${s.username}`);
    const expiry = Number(s.username.split(':')[0]);
    assert.ok(Math.abs(expiry - (Date.now() / 1000 + res.body.ttl)) < 10, `expiry ${expiry} is now + ttl (${res.body.ttl} s)`);
    assert.equal(s.credential, createHmac('sha1', secret).update(s.username).digest('base64'), 'credential = base64(HMAC-SHA1(secret, username))');
  }
  return res.body;
}

// Opens the stream socket in the page (as `token`, or a guest) and returns connection_established.
async function openSocket(p, streamId, token) {
  return p.page.evaluate(async ([id, t]) => {
    window.s = await rr.Socket.open(id, t);
    return window.s.next('connection_established');
  }, [streamId, token ?? null]);
}

// Waits until the page's viewer (window.v) decodes frames, then checks they keep coming; returns its stats.
async function assertReceivesFrames(p) {
  await pageWait(p.page, () => window.v?.pc && rr.stats(window.v.pc).then((s) => s.framesDecoded > 0), null,
    { timeout: 25000, what: `${p.name} to decode frames` });
  const r = await p.page.evaluate(() => rr.framesRise(() => window.v.pc));
  assert.ok(r.rising, `${p.name}: framesDecoded did not rise (${r.before.framesDecoded} -> ${r.after.framesDecoded})`);
  return r.after;
}

// The local and remote candidates of the selected pair, with addresses (rr.stats gives only the types).
const selectedPair = (p) => p.page.evaluate(async () => {
  const report = await window.v.pc.getStats();
  let pair = null;
  report.forEach((s) => { if (s.type === 'transport' && s.selectedCandidatePairId) pair = report.get(s.selectedCandidatePairId); });
  if (!pair) return null;
  const pick = (c) => c && { type: c.candidateType, address: c.address ?? c.ip, port: c.port, protocol: c.protocol, relayProtocol: c.relayProtocol };
  return { local: pick(report.get(pair.localCandidateId)), remote: pick(report.get(pair.remoteCandidateId)) };
});

test('(a) --media janus: a relay-only viewer receives the stream from Janus through coturn', { timeout: 90000 }, async () => {
  // Janus only here: (b) and (c) need no media server.
  const { janus: started, server: sfu } = await startJanusAndRedred({ args: turnArgs(coturn.secret) });
  janus = started;
  servers.push(['sfu', sfu]);
  await evidence('turn-janus', async () => {
    await assertTurnConfig(sfu, coturn.secret);
    const streamer = await register(sfu);
    const stream = await createStream(sfu, streamer.token);

    const studio = await person(sfu, 'janus-studio');
    await openSocket(studio, stream.id, streamer.token);
    await studio.page.evaluate(async () => { window.pub = await rr.publish(window.s, { layers: false, width: 320, height: 240 }); });
    await studio.page.evaluate(() => window.s.next('media_state', (m) => m.source === 'browser'));

    const viewer = await person(sfu, 'janus-relay-viewer');
    await openSocket(viewer, stream.id);
    await viewer.page.evaluate(async () => {
      const { iceServers } = await rr.rtcConfig();
      window.v = rr.watch(window.s, { iceServers, iceTransportPolicy: 'relay' });
    });
    const received = await assertReceivesFrames(viewer);
    assert.ok(received.frameWidth > 0, `frame width ${received.frameWidth}`);
    const pair = await selectedPair(viewer);
    assert.equal(pair?.local?.type, 'relay', `the selected pair's local candidate is a relay: ${JSON.stringify(pair)}`);
    assert.equal(pair.local.address, process.env.REDRED_TEST_MEDIA_IP ?? '127.0.0.1', `relayed from coturn's relay-ip: ${JSON.stringify(pair)}`);
    assert.equal(pair.remote.address, process.env.REDRED_TEST_MEDIA_IP ?? '127.0.0.1', `to Janus's address: ${JSON.stringify(pair)}`);
  });
});

test('(b) --media p2p: a relay-only viewer receives from the streamer\'s page through coturn', { timeout: 90000 }, async () => {
  const p2p = await startRedred({ args: turnArgs(coturn.secret) });
  servers.push(['p2p', p2p]);
  await evidence('turn-p2p', async () => {
    await assertTurnConfig(p2p, coturn.secret);
    const streamerAccount = await register(p2p);
    const stream = await createStream(p2p, streamerAccount.token);

    const studio = await person(p2p, 'p2p-studio');
    const established = await openSocket(studio, stream.id, streamerAccount.token);
    assert.equal(established.media?.mode, 'p2p');
    await studio.page.evaluate(async () => {
      const { iceServers } = await rr.rtcConfig();
      window.streamer = await rr.p2pStream(window.s, { iceServers, width: 320, height: 240 });
    });

    const viewer = await person(p2p, 'p2p-relay-viewer');
    const viewerHello = await openSocket(viewer, stream.id);
    await viewer.page.evaluate(async () => {
      const { iceServers } = await rr.rtcConfig();
      window.v = rr.p2pWatch(window.s, { iceServers, iceTransportPolicy: 'relay' });
    });
    const received = await assertReceivesFrames(viewer);
    assert.ok(received.frameWidth > 0, `frame width ${received.frameWidth}`);
    const pair = await selectedPair(viewer);
    assert.equal(pair?.local?.type, 'relay', `the selected pair's local candidate is a relay: ${JSON.stringify(pair)}`);
    const v = await viewer.page.evaluate(() => ({ offers: window.v.offers, ignored: window.v.ignored, gathered: window.v.localCandidates, errors: window.v.errors }));
    assert.equal(v.offers, 1, `one offer, one peer connection: ${JSON.stringify(v)}`);
    assert.ok(v.gathered.length > 0 && v.gathered.every((t) => t === 'relay'), `a relay-only viewer gathers relay candidates only: ${JSON.stringify(v)}`);
    const s = await studio.page.evaluate(() => ({ peers: window.streamer.peers.size, offers: window.streamer.offers, errors: window.streamer.errors }));
    assert.deepEqual(s, { peers: 1, offers: 1, errors: [] }, 'the streamer made one peer connection for the one viewer');

    // The relay also reaches a peer on 127.0.0.1: the streamer tells a second viewer only its loopback candidates.
    await studio.page.evaluate((first) => {
      const send = window.s.send.bind(window.s);
      window.s.send = (m) => {
        // candidate-attribute fields: foundation component transport priority address port "typ" type ...
        if (m.type === 'ice_candidate' && m.target !== first && m.candidate.candidate.split(' ')[4] !== '127.0.0.1') return;
        send(m);
      };
    }, viewerHello.connection_id);
    const second = await person(p2p, 'p2p-relay-viewer-2');
    await openSocket(second, stream.id);
    await second.page.evaluate(async () => {
      const { iceServers } = await rr.rtcConfig();
      window.v = rr.p2pWatch(window.s, { iceServers, iceTransportPolicy: 'relay' });
    });
    await assertReceivesFrames(second);
    const loopPair = await selectedPair(second);
    assert.equal(loopPair?.local?.type, 'relay', JSON.stringify(loopPair));
    assert.equal(loopPair.remote.address, '127.0.0.1', `relayed to the streamer's loopback candidate: ${JSON.stringify(loopPair)}`);
  });
});

test('(c) a wrong --turn-secret: the relay-only viewer gets no relay candidate and never connects; right credentials do', { timeout: 90000 }, async () => {
  const wrong = await startRedred({ args: turnArgs(WRONG_SECRET) });
  servers.push(['wrong-secret', wrong]);
  await evidence('turn-wrong-secret', async () => {
    await assertTurnConfig(wrong, WRONG_SECRET);
    const streamerAccount = await register(wrong);
    const stream = await createStream(wrong, streamerAccount.token);
    const studio = await person(wrong, 'wrong-studio');
    await openSocket(studio, stream.id, streamerAccount.token);
    await studio.page.evaluate(async () => { window.streamer = await rr.p2pStream(window.s, { width: 320, height: 240 }); });

    // The viewer takes what the server hands out: credentials coturn must refuse (401).
    const refused = await person(wrong, 'refused-viewer');
    await openSocket(refused, stream.id);
    await refused.page.evaluate(async () => {
      const { iceServers } = await rr.rtcConfig();
      window.v = rr.p2pWatch(window.s, { iceServers, iceTransportPolicy: 'relay' });
    });
    // Bounded: gathering ends once coturn has refused every allocation (UDP and TCP).
    await pageWait(refused.page, () => window.v.pc?.iceGatheringState === 'complete', null, { timeout: 20000, what: 'ICE gathering to end' });
    // The control: in the same room, a relay-only viewer with credentials made with the real secret connects.
    const control = await person(wrong, 'control-viewer');
    await openSocket(control, stream.id);
    await control.page.evaluate((iceServer) => { window.v = rr.p2pWatch(window.s, { iceServers: [iceServer], iceTransportPolicy: 'relay' }); },
      coturn.iceServer('control'));
    await assertReceivesFrames(control);
    assert.equal((await selectedPair(control))?.local?.type, 'relay');

    // By now the refused viewer had the offer, its gathering ended and the control connected meanwhile.
    const state = await refused.page.evaluate(async () => ({
      gathered: window.v.localCandidates,
      ice: window.v.pc.iceConnectionState,
      connection: window.v.pc.connectionState,
      stats: await rr.stats(window.v.pc),
    }));
    assert.deepEqual(state.gathered, [], `no relay (nor any) candidate with a wrong secret: ${JSON.stringify(state)}`);
    assert.ok(!['connected', 'completed'].includes(state.ice) && state.connection !== 'connected', `never connects: ${JSON.stringify(state)}`);
    assert.equal(state.stats.framesDecoded, 0, 'no frame reaches it');
    assert.equal(state.stats.localCandidate, null, 'no selected candidate pair');
    // coturn itself refused the credentials the server handed out (a guest's); the control's were accepted.
    await waitFor(() => /check_stun_auth: .*<\d+:guest>/.test(coturn.log()), { timeoutMs: 5000, what: 'coturn to log the refused guest credentials' });
  });
});

