// Browser end-to-end test of what TLS is for (README "HTTPS: a real certificate, or a self-signed one for a
// LAN"): a streamer on another machine needs https to get the camera. The server listens with --tls-cert/--tls-key
// on a non-loopback address of this machine ($REDRED_TEST_MEDIA_IP, the test namespace's veth, see
// scripts/test.sh) with a self-signed certificate for that address; a Chromium that trusts exactly that one
// certificate (--ignore-certificate-errors-spki-list with its key's SHA-256, not --ignore-certificate-errors)
// gets a secure context there: a streamer signs up, goes live with the fake camera, and a viewer watches (decoded
// video) and chats over wss. The contrast: a Chromium that does not trust the certificate gets a certificate
// error; the same web app over plain http on the same address is not a secure context, has no
// navigator.mediaDevices, and the studio says it cannot capture the camera. Screenshots in test-output/e2e_tls/.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createPublicKey } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { redredBin, testOutputDir } from './lib/redred.mjs';
import { makeCertificate, startRedredOn, startTlsRedred } from './lib/tls.mjs';
import {
  assertPrerequisites,
  assertVideoPlays,
  chromiumArgs,
  chromiumPath,
  newPerson,
  PASSWORD,
  screenshot,
  signUp,
  unique,
  WAIT_MS,
  waitForCount,
  webRoot,
} from './lib/browser.mjs';

const outDir = testOutputDir('e2e_tls');
const lanIp = process.env.REDRED_TEST_MEDIA_IP;

let certificate;
let spki;
let server; // HTTPS/WSS on lanIp
let browser; // trusts `certificate` only

const launch = (extraArgs = []) => chromium.launch({ executablePath: chromiumPath, timeout: 30000, args: [...chromiumArgs, ...extraArgs] });

before(async () => {
  assert.ok(
    lanIp,
    'REDRED_TEST_MEDIA_IP is not set: this test needs a non-loopback address of this machine (the veth pair that '
      + 'scripts/test.sh creates inside its network namespace, 10.77.0.1): run it through scripts/test.sh or ctest in that namespace',
  );
  assert.notEqual(lanIp, '127.0.0.1', 'REDRED_TEST_MEDIA_IP must not be loopback: browsers treat 127.0.0.1 as secure even over http');
  assert.ok(existsSync(redredBin), `server binary not found at ${redredBin} (set REDRED_BIN)`);
  assertPrerequisites();
  certificate = makeCertificate({ cn: 'redred-lan', names: [lanIp, '127.0.0.1'] });
  // What Chromium's --ignore-certificate-errors-spki-list takes: base64 of the SHA-256 of the certificate's
  // SubjectPublicKeyInfo (computed here from the PEM, and checked against the helper's).
  spki = createHash('sha256').update(createPublicKey(certificate.certPem).export({ type: 'spki', format: 'der' })).digest('base64');
  assert.equal(spki, certificate.spki);
  server = await startTlsRedred(certificate, { host: lanIp, webRoot, args: ['--secure-cookies'] });
  assert.equal(server.url, `https://${lanIp}:${server.port}`);
  browser = await launch([`--ignore-certificate-errors-spki-list=${spki}`]);
});
after(async () => {
  await browser?.close().catch(() => {});
  await server?.stop();
});

// Runs `body(join)`; on failure saves a screenshot per person and adds page errors and the server logs.
async function withPeople(name, body, { logs = () => [server] } = {}) {
  const people = [];
  const join = async (who, inBrowser, baseUrl, options) => {
    const person = await newPerson(inBrowser, who, baseUrl, options);
    person.websockets = [];
    person.page.on('websocket', (ws) => person.websockets.push(ws.url()));
    people.push(person);
    return person;
  };
  try {
    await body(join);
    for (const person of people) assert.deepEqual(person.pageErrors, [], `uncaught errors in ${person.name}'s page`);
  } catch (error) {
    for (const person of people) await screenshot(person, outDir, `${name}-${person.name}-failure`);
    const detail =
      people.map((p) => `\n--- ${p.name}: page errors ${JSON.stringify(p.pageErrors)}; console ${JSON.stringify(p.console.slice(-10))}`).join('')
      + logs().filter(Boolean).map((s) => `\n--- redred ${s.url} log (tail):\n${s.log().slice(-4000)}`).join('');
    throw new Error(`${error.message}${detail}`, { cause: error });
  } finally {
    for (const person of people) await person.context.close().catch(() => {});
  }
}

// What the page itself knows about its security: a secure context, and whether the camera API exists.
const pageSecurity = (page) => page.evaluate(() => ({
  href: location.href,
  isSecureContext: window.isSecureContext,
  mediaDevices: typeof navigator.mediaDevices,
  getUserMedia: typeof navigator.mediaDevices?.getUserMedia,
}));

test('over https on the LAN address, with the certificate trusted: secure context, the streamer goes live with the camera, a viewer watches and chats over wss', { timeout: 150000 }, async () => {
  await withPeople('https', async (join) => {
    const streamerName = unique('lan_ana');
    const viewerName = unique('lan_bea');

    const streamer = await join('streamer', browser, server.url);
    const response = await streamer.page.goto('/', { waitUntil: 'domcontentloaded' });
    assert.equal(response.status(), 200);
    const details = await response.securityDetails();
    assert.ok(details, 'the page came over TLS');
    assert.match(details.protocol, /^TLS 1\.[23]$/);
    assert.equal(details.subjectName, 'redred-lan', 'the certificate from --tls-cert');
    assert.deepEqual(await pageSecurity(streamer.page), {
      href: `https://${lanIp}:${server.port}/`, isSecureContext: true, mediaDevices: 'object', getUserMedia: 'function',
    });

    // The streamer signs up, creates a stream and goes live with the fake camera.
    await signUp(streamer, streamerName, PASSWORD);
    await streamer.page.goto('/new');
    await streamer.page.getByTestId('stream-title').fill('Clase desde la LAN');
    await streamer.page.getByTestId('create-stream').click();
    await streamer.page.waitForURL(/\/studio\/\d+$/);
    const streamId = Number(new URL(streamer.page.url()).pathname.split('/').pop());
    await streamer.page.getByTestId('source-camera').check();
    await streamer.page.getByTestId('go-live').click();
    await streamer.page.locator('[data-testid="studio-state"][data-state="live"]').waitFor();
    await streamer.page.waitForFunction(() => document.querySelector('[data-testid="studio-preview"]')?.videoWidth > 0, null, { timeout: WAIT_MS });
    assert.equal(await streamer.page.getByTestId('error-alert').count(), 0, 'no capture error in the studio');
    await screenshot(streamer, outDir, 'studio-https');

    // A viewer (own context, same trusting browser) signs up, opens the stream's link and gets decoded video.
    const viewer = await join('viewer', browser, server.url);
    await signUp(viewer, viewerName, PASSWORD);
    await viewer.page.goto(`/live/${streamId}`);
    assert.equal((await pageSecurity(viewer.page)).isSecureContext, true);
    await viewer.page.locator('[data-testid="watch-state"][data-state="live"]').waitFor();
    await assertVideoPlays(viewer);
    await waitForCount(viewer.page, 'viewer-count', 1);
    await streamer.page.getByTestId('studio-viewer-count').filter({ hasText: /^1$/ }).waitFor();

    // Chat both ways, over the pages' WebSockets, which are wss:// to the same address.
    await viewer.page.getByTestId('chat-input').fill('Hola por wss');
    await viewer.page.getByTestId('chat-send').click();
    await streamer.page.getByTestId('chat-comment').filter({ hasText: 'Hola por wss' }).waitFor();
    await streamer.page.getByTestId('chat-input').fill('Te veo cifrado');
    await streamer.page.getByTestId('chat-send').click();
    await viewer.page.getByTestId('chat-comment').filter({ hasText: 'Te veo cifrado' }).waitFor();
    await screenshot(viewer, outDir, 'watch-https');
    for (const person of [streamer, viewer]) {
      const live = person.websockets.filter((u) => u.includes(`/ws/live/${streamId}/`));
      assert.ok(live.length >= 1, `${person.name} opened the stream's WebSocket: ${JSON.stringify(person.websockets)}`);
      for (const url of person.websockets) assert.ok(url.startsWith(`wss://${lanIp}:${server.port}/`), `${person.name}: ${url} is wss to the server`);
    }

    await streamer.page.getByTestId('end-stream').click();
    await streamer.page.getByTestId('studio-ended').waitFor();
    await viewer.page.locator('[data-testid="watch-state"][data-state="ended"]').waitFor();
  });
});

test('a browser that does not trust the certificate gets a certificate error, not the page', { timeout: 60000 }, async () => {
  const untrusting = await launch(); // the same flags, without --ignore-certificate-errors-spki-list
  try {
    await withPeople('untrusted', async (join) => {
      const person = await join('visitor', untrusting, server.url);
      await assert.rejects(person.page.goto('/'), /net::ERR_CERT_AUTHORITY_INVALID/);
      // It is the certificate, not the server: the trusting browser loads the same address.
      const trusted = await join('trusted', browser, server.url);
      assert.equal((await trusted.page.goto('/')).status(), 200);
    });
  } finally {
    await untrusting.close().catch(() => {});
  }
});

test('over plain http on the same LAN address: not a secure context, no navigator.mediaDevices, the studio cannot capture the camera', { timeout: 90000 }, async () => {
  const plain = await startRedredOn(lanIp, { webRoot });
  try {
    assert.equal(plain.url, `http://${lanIp}:${plain.port}`);
    await withPeople('http', async (join) => {
      // The browser that trusts the certificate: trust does not matter over http, the scheme does.
      const streamer = await join('streamer', browser, plain.url);
      const response = await streamer.page.goto('/', { waitUntil: 'domcontentloaded' });
      assert.equal(response.status(), 200, 'the app itself loads over http');
      assert.equal((await response.securityDetails())?.protocol, undefined, 'no TLS');
      assert.deepEqual(await pageSecurity(streamer.page), {
        href: `http://${lanIp}:${plain.port}/`, isSecureContext: false, mediaDevices: 'undefined', getUserMedia: 'undefined',
      });

      // Signing up and creating a stream work; going live with the camera does not.
      await signUp(streamer, unique('http_ana'), PASSWORD);
      await streamer.page.goto('/new');
      await streamer.page.getByTestId('stream-title').fill('Sin https');
      await streamer.page.getByTestId('create-stream').click();
      await streamer.page.waitForURL(/\/studio\/\d+$/);
      await streamer.page.getByTestId('source-camera').check();
      await streamer.page.getByTestId('go-live').click();
      await streamer.page.getByTestId('error-alert').filter({ hasText: 'cannot capture a camera here' }).waitFor();
      assert.notEqual(await streamer.page.getByTestId('studio-state').getAttribute('data-state'), 'live');
      assert.equal(await streamer.page.evaluate(() => document.querySelector('[data-testid="studio-preview"]')?.videoWidth ?? 0), 0, 'no camera picture');
      await screenshot(streamer, outDir, 'studio-http-no-camera');
    }, { logs: () => [server, plain] });
  } finally {
    await plain.stop();
  }
});
