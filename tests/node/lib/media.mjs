// Helpers for the media tests (--media janus, WHIP, WHEP, TURN): a real Janus and redred driving it, and
// Chromium pages that speak the media protocol with tests/node/lib/rtc_client.js (plain browser APIs, no
// web UI code). Every wait is bounded.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { chromiumArgs, chromiumPath, webRoot } from './browser.mjs';
import { startJanus } from './janus.mjs';
import { json, startRedred, testOutputDir } from './redred.mjs';
import { chromium } from 'playwright-core';

const rtcClientSource = readFileSync(path.join(path.dirname(new URL(import.meta.url).pathname), 'rtc_client.js'), 'utf8');

// Janus, and redred with --media janus pointed at it (with Janus's API secret and VideoRoom admin key).
export async function startJanusAndRedred({ args = [], janusOptions = {} } = {}) {
  const janus = await startJanus(janusOptions);
  try {
    const server = await startRedred({
      webRoot,
      args: ['--media', 'janus', '--janus-url', janus.wsUrl, '--janus-api-secret', janus.apiSecret,
        '--janus-admin-key', janus.adminKey, ...args],
    });
    return { janus, server };
  } catch (e) {
    await janus.stop(); // the caller never gets the handle: a Janus left running would keep the test process alive
    throw e;
  }
}

export async function launchMediaBrowser() {
  return chromium.launch({ executablePath: chromiumPath, timeout: 30000, args: chromiumArgs });
}

// A page on the server's origin with window.rr (rtc_client.js) loaded. Page errors are kept.
export async function protocolPage(browser, server, name) {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.setDefaultTimeout(20000);
  const person = { name, context, page, errors: [] };
  page.on('pageerror', (e) => person.errors.push(e.message));
  await page.goto(`${server.url}/healthz`);
  await page.addScriptTag({ content: rtcClientSource });
  return person;
}

// Waits until the page's `expr` (an async function body returning a truthy value) is truthy.
export async function pageWait(page, fn, arg, { timeout = 20000, what = 'a condition' } = {}) {
  try {
    return await page.waitForFunction(fn, arg, { timeout, polling: 250 });
  } catch (e) {
    throw new Error(`timed out waiting for ${what}: ${e.message.split('\n')[0]}`);
  }
}

export async function metricsValue(server, name) {
  const res = await fetch(`${server.url}/metrics`);
  const text = await res.text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  assert.ok(line, `metric ${name} not found`);
  return Number(line.split(' ')[1]);
}

export async function health(server) {
  return json(`${server.url}/healthz`);
}

// Screenshots and logs of every page when `body` fails.
export async function keepFailureEvidence(name, people, extra, body) {
  try {
    await body();
  } catch (error) {
    const dir = testOutputDir('media');
    for (const p of people()) await p.page.screenshot({ path: path.join(dir, `${name}-${p.name}.png`) }).catch(() => {});
    const detail = people().map((p) => `\n--- ${p.name}: page errors ${JSON.stringify(p.errors)}`).join('') + (extra ? `\n${extra()}` : '');
    throw new Error(`${error.message}${detail}`, { cause: error });
  }
}
