// The screen feed sends only what changed (issue 10), against a real Xvfb: redred captures it with XDamage,
// tests/tools/paint_screen draws known rectangles on it, and every viewer's decoded pixels must show them.
// Tile mode (/stream/ws?mode=tiles) must carry only the changed region; a still screen sends nothing on any
// feed; a viewer that falls behind (here: capped with ?max_kbps) gets the merged change, never an old region.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import WebSocket from 'ws';
import { json, redredBin, sleep, startRedis, startRedred, startXvfb, waitFor } from './lib/redred.mjs';
import { decodePicture, metrics, near, openFrameCounter, paintScreenBin, startPainter, TileViewer } from './lib/screen_feed.mjs';
import { tilesCover } from './lib/tiles.mjs';

const W = 640;
const H = 360;
const RED = [255, 0, 0];
const WHITE = [255, 255, 255];
const YELLOW = [255, 255, 0];
const BLUE = [0, 0, 255];
const GREEN = [0, 255, 0];
const MAGENTA = [255, 0, 255];
const CYAN = [0, 255, 255];

let xvfb;
let painter;
let server;

before(async () => {
  assert.ok(existsSync(redredBin), `server binary not found at ${redredBin}`);
  assert.ok(existsSync(paintScreenBin), `${paintScreenBin} not found: build the paint_screen target`);
  xvfb = await startXvfb({ width: W, height: H });
  painter = await startPainter(xvfb.display);
  server = await startRedred({ screenSource: 'x11', env: { DISPLAY: xvfb.display }, args: ['--sse-keepalive-ms', '400'] });
  const started = await json(server.url + '/stream/start', { method: 'POST', body: { fps: 20, quality: 90 } });
  assert.equal(started.status, 200, started.text);
});

after(async () => {
  await server?.stop();
  await painter?.stop();
  await xvfb?.stop();
});

// Back to the four quadrants (red, green / blue, white), and the pointer parked where it covers nothing we test.
async function resetScreen() {
  await painter.rect({ x: 0, y: 0, w: W / 2, h: H / 2 }, RED);
  await painter.rect({ x: W / 2, y: 0, w: W / 2, h: H / 2 }, GREEN);
  await painter.rect({ x: 0, y: H / 2, w: W / 2, h: H / 2 }, BLUE);
  await painter.rect({ x: W / 2, y: H / 2, w: W / 2, h: H / 2 }, WHITE);
  await painter.warp(W - 2, H - 2);
  await sleep(150);  // a few capture ticks: the change is picked up before the next test looks
}

const area = (message) => message.tiles.reduce((sum, t) => sum + t.w * t.h, 0);

test('a small change goes out as a small tile, and the composed picture shows it', async () => {
  await resetScreen();
  const viewer = await TileViewer.open(server.url);
  const sse = await openFrameCounter(server.url, 'sse');
  try {
    const key = await viewer.waitForMessages(1);
    assert.ok(key.key, 'the first message is a key frame');
    assert.deepEqual([key.width, key.height], [W, H]);
    assert.ok(tilesCover(key, { x: 0, y: 0, w: W, h: H }), 'the key frame covers the whole screen');
    assert.ok(near(viewer.pixel(100, 50), RED) && near(viewer.pixel(500, 300), WHITE), 'the key frame shows the quadrants');
    await waitFor(() => sse.frames.length >= 1, { what: 'the first SSE picture' });

    const drawn = { x: 100, y: 40, w: 30, h: 20 };
    await painter.rect(drawn, YELLOW);
    const delta = await viewer.waitForMessages(2);
    assert.equal(delta.key, false);
    assert.ok(delta.seq > key.seq);
    assert.ok(tilesCover(delta, drawn), `the tiles ${JSON.stringify(delta.tiles)} cover the rectangle drawn`);
    assert.ok(area(delta) <= 128 * 128, `only the changed cells are sent (${area(delta)} pixels)`);
    assert.ok(delta.bytes < key.bytes / 4, `a delta (${delta.bytes} B) is far smaller than a key frame (${key.bytes} B)`);
    assert.ok(near(viewer.pixel(115, 50), YELLOW), `inside the rectangle: ${viewer.pixel(115, 50)}`);
    assert.ok(near(viewer.pixel(90, 30), RED) && near(viewer.pixel(140, 70), RED), 'around it: still red');
    assert.ok(near(viewer.pixel(500, 300), WHITE), 'elsewhere: untouched');
    // The seed's SSE clients get a whole picture of the same change.
    await waitFor(() => sse.frames.length >= 2, { what: 'an SSE picture of the change' });
    const whole = decodePicture(sse.frames.at(-1));
    assert.equal(whole.width, W);
    assert.ok(near(whole.pixel(115, 50), YELLOW) && near(whole.pixel(90, 30), RED));
  } finally {
    viewer.close();
    sse.close();
  }
});

test('a still screen sends nothing on SSE, MJPEG, WebSocket or tiles; SSE gets keep-alive comments', async () => {
  await resetScreen();
  const feeds = {
    sse: await openFrameCounter(server.url, 'sse'),
    mjpeg: await openFrameCounter(server.url, 'mjpeg'),
    ws: await openFrameCounter(server.url, 'ws'),
  };
  const tiles = await TileViewer.open(server.url);
  try {
    for (const [name, feed] of Object.entries(feeds)) await waitFor(() => feed.frames.length >= 1, { what: `the first ${name} picture` });
    await tiles.waitForMessages(1);
    await sleep(200);
    const before = Object.fromEntries(Object.entries(feeds).map(([name, feed]) => [name, feed.frames.length]));
    const tileCount = tiles.messages.length;
    const unchanged = (await metrics(server.url))['redred_screen_frames_unchanged_total'];
    const comments = feeds.sse.comments;
    await sleep(3000);
    for (const [name, feed] of Object.entries(feeds)) assert.equal(feed.frames.length, before[name], `${name}: no new picture of a still screen`);
    assert.equal(tiles.messages.length, tileCount, 'tiles: no message for a still screen');
    assert.ok((await metrics(server.url))['redred_screen_frames_unchanged_total'] >= unchanged + 40, 'the capture saw ~60 still ticks');
    assert.ok(feeds.sse.comments >= comments + 3, `SSE keep-alive comments every 0.4 s (${feeds.sse.comments - comments})`);
    // And the moment something changes, every feed sends it.
    await painter.rect({ x: 400, y: 20, w: 40, h: 40 }, MAGENTA);
    for (const [name, feed] of Object.entries(feeds)) {
      await waitFor(() => feed.frames.length > before[name], { what: `${name} to send the change` });
      assert.ok(near(decodePicture(feed.frames.at(-1)).pixel(420, 40), MAGENTA), `${name} shows the change`);
    }
  } finally {
    for (const feed of Object.values(feeds)) feed.close();
    tiles.close();
  }
});

test('a full-screen change is sent as one complete picture', async () => {
  await resetScreen();
  const viewer = await TileViewer.open(server.url);
  try {
    await viewer.waitForMessages(1);
    await painter.fill(BLUE);
    const message = await viewer.waitForMessages(2);
    assert.ok(message.key, 'most of the screen changed: a key frame');
    assert.equal(message.tiles.length, 1);
    assert.deepEqual(message.tiles[0], { ...message.tiles[0], x: 0, y: 0, w: W, h: H });
    for (const [x, y] of [[5, 5], [W - 5, 5], [W / 2, H / 2], [5, H - 5], [W - 40, H - 40]]) {
      assert.ok(near(viewer.pixel(x, y), BLUE), `(${x},${y}) is ${viewer.pixel(x, y)}`);
    }
  } finally {
    viewer.close();
  }
});

test('a viewer that falls behind gets the merged change, never an out-of-date region', async () => {
  await resetScreen();
  // ~100 kbit/s: after the key frame (~10-20 KB) this viewer may not be sent anything for about a second.
  const slow = await TileViewer.open(server.url, { query: '&max_kbps=100' });
  const fast = await TileViewer.open(server.url);
  try {
    const key = await slow.waitForMessages(1);
    await fast.waitForMessages(1);
    const a = { x: 64, y: 64, w: 32, h: 32 };
    const b = { x: 448, y: 256, w: 32, h: 32 };
    await painter.rect(a, MAGENTA);
    await sleep(120);  // separate capture ticks: three states the fast viewer sees one by one
    await painter.rect(a, CYAN);
    await sleep(120);
    await painter.rect(b, YELLOW);
    await waitFor(() => fast.messages.length >= 4, { what: 'the fast viewer to see three changes' });
    assert.equal(slow.messages.length, 1, 'the capped viewer was still waiting');
    const merged = await slow.waitForMessages(2, { timeoutMs: 8000 });
    assert.ok(merged.seq >= key.seq + 3, `one message brings it from state ${key.seq} to ${merged.seq}`);
    assert.ok(tilesCover(merged, a) && tilesCover(merged, b), 'it covers both changed regions');
    assert.ok(near(slow.pixel(80, 80), CYAN), `region A shows its newest colour, not the older magenta: ${slow.pixel(80, 80)}`);
    assert.ok(near(slow.pixel(464, 272), YELLOW), 'region B is there too');
    assert.ok(near(slow.pixel(30, 30), RED), 'the rest is untouched');
    assert.ok(area(merged) <= 2 * 64 * 64 * 4, 'only the changed cells, once each');
    const dropped = (await metrics(server.url))['redred_screen_frames_dropped_total{transport="tiles"}'];
    assert.ok(dropped >= 2, `the states it skipped are counted (${dropped})`);
  } finally {
    slow.close();
    fast.close();
  }
});

test('a key frame is sent on request', async () => {
  await resetScreen();
  const viewer = await TileViewer.open(server.url);
  try {
    await viewer.waitForMessages(1);
    viewer.requestKeyFrame();
    const again = await viewer.waitForMessages(2);
    assert.ok(again.key);
    assert.ok(tilesCover(again, { x: 0, y: 0, w: W, h: H }));
    assert.ok(near(viewer.pixel(100, 50), RED) && near(viewer.pixel(500, 300), WHITE));
  } finally {
    viewer.close();
  }
});

test('the mouse cursor is drawn into the picture and follows the pointer', async () => {
  await resetScreen();
  const viewer = await TileViewer.open(server.url);
  try {
    await viewer.waitForMessages(1);
    const spot = [480, 270];  // in the white quadrant
    const darkNear = () => {
      let dark = 0;
      for (let dy = -6; dy <= 6; dy++) for (let dx = -6; dx <= 6; dx++) {
        const [r, g, b] = viewer.pixel(spot[0] + dx, spot[1] + dy);
        if (r + g + b < 384) dark += 1;
      }
      return dark;
    };
    assert.equal(darkNear(), 0, 'no cursor there yet');
    const count = viewer.messages.length;
    await painter.warp(...spot);
    await viewer.waitForMessages(count + 1);
    await waitFor(() => darkNear() > 3, { what: 'cursor pixels at the pointer' });
    await painter.warp(100, 50);
    await waitFor(() => darkNear() === 0, { what: 'the old cursor position to be repaired' });
  } finally {
    viewer.close();
  }
});

test('?max_kbps caps a viewer by lowering its frame rate', async () => {
  // The test pattern changes every frame: uncapped, every tick is sent.
  const pattern = await startRedred({ screenSource: 'pattern', args: ['--pattern-size', '640x360'] });
  try {
    await json(pattern.url + '/stream/start', { method: 'POST', body: { fps: 20, quality: 75 } });
    const capped = await openFrameCounter(pattern.url, 'sse', { query: '?max_kbps=500' });
    const free = await openFrameCounter(pattern.url, 'sse');
    await waitFor(() => capped.frames.length >= 1 && free.frames.length >= 1, { what: 'first pictures' });
    const start = { at: Date.now(), capped: capped.bytes, cappedFrames: capped.frames.length, free: free.frames.length };
    await sleep(4000);
    const seconds = (Date.now() - start.at) / 1000;
    const kbps = ((capped.bytes - start.capped) * 8) / 1000 / seconds;
    const cappedFps = (capped.frames.length - start.cappedFrames) / seconds;
    const freeFps = (free.frames.length - start.free) / seconds;
    capped.close();
    free.close();
    assert.ok(kbps <= 500 * 1.25, `capped at ${kbps.toFixed(0)} kbit/s`);
    assert.ok(kbps >= 500 * 0.4, `but still fed (${kbps.toFixed(0)} kbit/s)`);
    assert.ok(cappedFps < freeFps / 2, `by a lower frame rate: ${cappedFps.toFixed(1)} against ${freeFps.toFixed(1)} fps`);
  } finally {
    await pattern.stop();
  }
});

// The WebSocket handshake's answer when the server refuses it: { status, body }.
function refusedUpgrade(url) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.on('open', () => { ws.close(); reject(new Error(`${url} was accepted`)); });
    ws.on('unexpected-response', (req, res) => {
      let body = '';
      res.on('data', (c) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode, body: JSON.parse(body) }));
    });
    ws.on('error', () => {});
  });
}

test('bad feed options are refused with a JSON 400', async () => {
  for (const target of ['/stream/feed?max_kbps=0', '/stream/mjpeg?max_kbps=lots', '/stream/feed?mode=tiles']) {
    const res = await json(server.url + target);
    assert.equal(res.status, 400, target);
    assert.ok(res.body.error, `${target}: ${res.text}`);
  }
  for (const target of ['/stream/ws?mode=pixels', '/stream/ws?mode=tiles&max_kbps=99999999']) {
    const res = await refusedUpgrade(server.url.replace('http', 'ws') + target);
    assert.equal(res.status, 400, target);
    assert.ok(res.body.error, `${target}: ${JSON.stringify(res.body)}`);
  }
  assert.equal((await json(server.url + '/healthz')).status, 200);
});

test('metrics count tiles, key frames, still ticks and bytes per viewer', async () => {
  await resetScreen();
  const viewer = await TileViewer.open(server.url);
  try {
    await viewer.waitForMessages(1);
    await painter.rect({ x: 10, y: 10, w: 20, h: 20 }, YELLOW);
    await viewer.waitForMessages(2);
    await sleep(1200);  // the per-viewer rate is measured over a second or more
    const m = await metrics(server.url);
    assert.ok(m['redred_screen_tiles_encoded_total'] > 0);
    assert.ok(m['redred_screen_tiles_sent_total'] > 0);
    assert.ok(m['redred_screen_key_frames_sent_total'] > 0);
    assert.ok(m['redred_screen_frames_unchanged_total'] > 0);
    assert.equal(m['redred_screen_viewers{transport="tiles"}'], 1);
    assert.ok('redred_screen_viewer_bytes_per_second{transport="tiles"}' in m);
    assert.ok(m['redred_screen_bytes_sent_total{transport="tiles"}'] >= viewer.bytes);
  } finally {
    viewer.close();
  }
});

test('across instances on Redis: a tile viewer on another instance gets the change as tiles; a still screen sends it nothing', async () => {
  const redis = await startRedis();
  const redisUrl = `redis://127.0.0.1:${redis.port}`;
  const capturer = await startRedred({ screenSource: 'x11', env: { DISPLAY: xvfb.display }, args: ['--redis', redisUrl, '--key-frame-interval-ms', '600000'] });
  const relay = await startRedred({ screenSource: 'none', args: ['--redis', redisUrl] });
  try {
    await resetScreen();
    const started = await json(relay.url + '/stream/start', { method: 'POST', body: { fps: 20, quality: 90 } });
    assert.equal(started.status, 200, started.text);
    const viewer = await TileViewer.open(relay.url);
    const sse = await openFrameCounter(relay.url, 'sse');
    try {
      await viewer.waitForMessages(1, { timeoutMs: 8000 });
      assert.ok(near(viewer.pixel(100, 50), RED));
      const drawn = { x: 200, y: 100, w: 40, h: 40 };
      const before = viewer.messages.length;
      await painter.rect(drawn, YELLOW);
      await waitFor(() => near(viewer.pixel(220, 120), YELLOW), { what: 'the change on the other instance' });
      const delta = viewer.messages.slice(before).find((m) => tilesCover(m, drawn));
      assert.ok(delta && !delta.key, 'the capturer relays tiles: the other instance sends a delta, not a whole picture');
      assert.ok(area(delta) <= 128 * 128, `only the changed cells (${area(delta)} pixels)`);
      await waitFor(() => sse.frames.length >= 1, { what: 'an SSE picture on the other instance' });
      await sleep(300);
      const frames = sse.frames.length;
      const messages = viewer.messages.length;
      await sleep(3000);  // the capturer refreshes the relay every 2 s; viewers that have the picture skip it
      assert.equal(sse.frames.length, frames, 'no new SSE picture of a still screen');
      assert.equal(viewer.messages.length, messages, 'no tile message of a still screen');
    } finally {
      viewer.close();
      sse.close();
    }
    await json(relay.url + '/stream/stop', { method: 'POST' });
  } finally {
    await relay.stop();
    await capturer.stop();
    await redis.stop();
  }
});
