// X11 capture under a real Xvfb: known colours on the screen must come out of /stream/feed as those colours.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import jpeg from 'jpeg-js';
import { startRedred, startXvfb, readSse, json, waitFor, buildDir } from './lib/redred.mjs';

const paintScreen = path.join(buildDir, 'tests', 'paint_screen');
let xvfb;
let painter;

before(async () => {
  xvfb = await startXvfb({ width: 1280, height: 720 });
  painter = spawn(paintScreen, [], { env: { ...process.env, DISPLAY: xvfb.display }, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  painter.stdout.on('data', (c) => { out += c; });
  await waitFor(() => out.includes('painted'), { timeoutMs: 5000, what: 'paint_screen' });
});
after(async () => {
  painter?.kill('SIGTERM');
  await xvfb?.stop();
});

async function firstFrame(server) {
  const started = await json(server.url + '/stream/start', { method: 'POST', body: { fps: 10, quality: 90 } });
  assert.equal(started.status, 200, started.text);
  // The first frame: with XDamage a static screen sends no second one.
  const frames = [];
  await readSse(server.url + '/stream/feed', { onEvent: (d) => { frames.push(d); return false; }, timeoutMs: 5000 });
  await json(server.url + '/stream/stop', { method: 'POST' });
  assert.equal(frames.length, 1);
  return jpeg.decode(Buffer.from(frames[0], 'base64'), { useTArray: true });
}

function pixel(image, x, y) {
  const i = (y * image.width + x) * 4;
  return [image.data[i], image.data[i + 1], image.data[i + 2]];
}

function assertColour(actual, expected, where) {
  const off = actual.map((v, i) => Math.abs(v - expected[i]));
  assert.ok(off.every((d) => d <= 24), `${where}: got rgb(${actual}) expected rgb(${expected})`);
}

function assertQuadrants(image) {
  const w = image.width, h = image.height;
  assertColour(pixel(image, Math.floor(w / 4), Math.floor(h / 4)), [255, 0, 0], 'top-left red');
  assertColour(pixel(image, Math.floor((3 * w) / 4), Math.floor(h / 4)), [0, 255, 0], 'top-right green');
  assertColour(pixel(image, Math.floor(w / 4), Math.floor((3 * h) / 4)), [0, 0, 255], 'bottom-left blue');
  assertColour(pixel(image, Math.floor((3 * w) / 4), Math.floor((3 * h) / 4)), [255, 255, 255], 'bottom-right white');
}

test('the feed carries the X screen: four painted quadrants decode to their colours', async () => {
  const server = await startRedred({ screenSource: 'x11', env: { DISPLAY: xvfb.display } });
  try {
    const health = await json(server.url + '/healthz');
    assert.equal(health.body.screen_source, 'x11');
    const image = await firstFrame(server);
    assert.equal(image.width, 1280);
    assert.equal(image.height, 720);
    assertQuadrants(image);
  } finally {
    await server.stop();
  }
});

test('--max-width scales the capture down, keeping the aspect ratio and the colours', async () => {
  const server = await startRedred({ screenSource: 'x11', args: ['--max-width', '640', '--display', xvfb.display] });
  try {
    const image = await firstFrame(server);
    assert.equal(image.width, 640);
    assert.equal(image.height, 360);
    assertQuadrants(image);
  } finally {
    await server.stop();
  }
});

test('auto picks X11 when a display is there, and x11 without one fails with advice', async () => {
  const auto = await startRedred({ screenSource: 'auto', env: { DISPLAY: xvfb.display } });
  assert.equal((await json(auto.url + '/healthz')).body.screen_source, 'x11');
  await auto.stop();
  await assert.rejects(startRedred({ screenSource: 'x11', env: { DISPLAY: ':4999' } }), /display/i);
});
