// Browser helpers for the live-platform end-to-end tests: Debian's Chromium through playwright-core with
// fake camera, microphone and screen, one browser context per person, and bounded waits on the app's
// data-testids. See ../shared/TESTING-WEBRTC.md for why each flag is here.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { redredBin, sourceDir, startRedred } from './redred.mjs';

export const webRoot = path.join(sourceDir, 'web', 'dist');
export const chromiumPath = process.env.REDRED_CHROMIUM ?? '/usr/bin/chromium';
export const WAIT_MS = 15000; // upper bound for any single wait on a page

export const chromiumArgs = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
  // Inside a network namespace with only `lo`, without this there are no ICE candidates at all.
  '--allow-loopback-in-peer-connection',
];

export function assertPrerequisites() {
  assert.ok(existsSync(path.join(webRoot, 'index.html')), `${webRoot}/index.html not found: build the web app (cd web && npm ci && npm run build)`);
  assert.ok(existsSync(chromiumPath), `Chromium not found at ${chromiumPath} (set REDRED_CHROMIUM)`);
}

export async function launchBrowser() {
  return chromium.launch({ executablePath: chromiumPath, timeout: 30000, args: chromiumArgs });
}

// A person: a fresh context (own cookies) and one page. Page errors and console warnings are kept for the
// failure report; `confirm()` dialogs are accepted (the app asks before ending a stream or kicking).
export async function newPerson(browser, name, baseUrl, { viewport = { width: 1280, height: 900 } } = {}) {
  const context = await browser.newContext({ viewport, baseURL: baseUrl });
  const page = await context.newPage();
  page.setDefaultTimeout(WAIT_MS);
  page.setDefaultNavigationTimeout(WAIT_MS);
  const person = { name, context, page, pageErrors: [], console: [] };
  page.on('pageerror', (error) => person.pageErrors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') person.console.push(`${message.type()}: ${message.text()}`);
  });
  page.on('dialog', (dialog) => void dialog.accept().catch(() => {}));
  return person;
}

export async function signUp(person, username, password) {
  const { page } = person;
  await page.goto('/signup', { waitUntil: 'domcontentloaded' });
  await page.getByTestId('auth-username').fill(username);
  await page.getByTestId('auth-password').fill(password);
  await page.getByTestId('auth-submit').click();
  await page.getByTestId('account-name').filter({ hasText: username }).waitFor();
}

// The numeric value of `data-count` on a test id, once it equals `expected`.
export async function waitForCount(page, testId, expected, timeout = WAIT_MS) {
  await page.waitForFunction(
    ([id, n]) => document.querySelector(`[data-testid="${id}"]`)?.getAttribute('data-count') === String(n),
    [testId, expected],
    { timeout },
  );
}

// Width of the watch video and the total framesDecoded of inbound video over every exposed peer connection.
export async function videoSample(page, videoTestId = 'watch-video') {
  return page.evaluate(async (id) => {
    const video = document.querySelector(`[data-testid="${id}"]`);
    let framesDecoded = 0;
    let peers = 0;
    for (const pc of window.__redredPeers?.values() ?? []) {
      peers += 1;
      const stats = await pc.getStats();
      stats.forEach((s) => {
        if (s.type === 'inbound-rtp' && s.kind === 'video') framesDecoded += s.framesDecoded ?? 0;
      });
    }
    return { width: video?.videoWidth ?? 0, height: video?.videoHeight ?? 0, framesDecoded, peers };
  }, videoTestId);
}

// Proof that media really arrives: videoWidth > 0, and framesDecoded rising between two samples ~2 s apart.
export async function assertVideoPlays(person, { timeout = WAIT_MS } = {}) {
  const { page } = person;
  await page.waitForFunction(() => document.querySelector('[data-testid="watch-video"]')?.videoWidth > 0, null, { timeout });
  const first = await videoSample(page);
  await page.waitForTimeout(2000);
  const second = await videoSample(page);
  assert.ok(second.width > 0, `${person.name}: videoWidth is 0`);
  assert.ok(
    second.framesDecoded > first.framesDecoded,
    `${person.name}: framesDecoded did not rise (${first.framesDecoded} -> ${second.framesDecoded}, peers ${second.peers})`,
  );
  return second;
}

export async function screenshot(person, dir, name) {
  await person.page.screenshot({ path: path.join(dir, `${name}.png`), fullPage: true, timeout: 5000 }).catch(() => {});
}

export const PASSWORD = 'correct horse battery staple';
export const unique = (prefix) => `${prefix}_${Math.random().toString(16).slice(2, 10)}`;

// The real server serving the built web UI, and one Chromium: what every live e2e test starts in `before`.
export async function startServerAndBrowser() {
  assert.ok(existsSync(redredBin), `server binary not found at ${redredBin} (set REDRED_BIN)`);
  assertPrerequisites();
  const server = await startRedred({ webRoot });
  const browser = await launchBrowser();
  return { server, browser };
}

export async function stopServerAndBrowser(server, browser) {
  await browser?.close().catch(() => {});
  await server?.stop();
}
