// `redred doctor`, the seed's test_streaming.py: a readable report, exit code 0 only when every check passes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { startRedred, startRedis, freePort, json, redredBin, redisCli, waitFor } from './lib/redred.mjs';

let redis;
let server;
before(async () => {
  redis = await startRedis();
  server = await startRedred({ args: ['--redis', redis.url] });
  // The server registers itself on its first supervisor tick once Redis answers.
  await waitFor(async () => (await redisCli(redis.port, '--scan', '--pattern', 'redred:instance:*')).length > 0,
    { timeoutMs: 5000, what: 'the server registered in Redis' });
});
after(async () => {
  await server?.stop();
  await redis?.stop();
});

function doctor(args) {
  return new Promise((resolve) => {
    const proc = spawn(redredBin, ['doctor', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout.on('data', (c) => { out += c; });
    proc.stderr.on('data', (c) => { out += c; });
    const timer = setTimeout(() => proc.kill('SIGKILL'), 30000);
    proc.on('exit', (code) => { clearTimeout(timer); resolve({ code, out }); });
  });
}

test('all checks pass against a live Redis and server, including a start-frames-stop cycle', async () => {
  const { code, out } = await doctor(['--screen-source', 'pattern', '--redis', redis.url, '--url', server.url, '--cycle']);
  assert.equal(code, 0, out);
  assert.match(out, /ok\s+libjpeg-turbo/);
  assert.match(out, /ok\s+screen source\s+pattern 1280x720/);
  assert.match(out, /ok\s+redis\s+PONG/);
  assert.match(out, /ok\s+instances\s+1 alive/);
  assert.ok(out.includes(`127.0.0.1:${server.port}`), 'lists the live instance');
  assert.match(out, /ok\s+cycle: frames\s+5 frames received/);
  assert.match(out, /ok\s+cycle: feed end/);
  assert.match(out, /all checks passed/);
  assert.equal((await json(server.url + '/stream/status')).body.active, false, 'the doctor leaves no stream behind');
});

test('an unreachable Redis is a failure with advice and a non-zero exit', async () => {
  const port = await freePort();
  const { code, out } = await doctor(['--screen-source', 'pattern', '--redis', `redis://127.0.0.1:${port}/0`]);
  assert.equal(code, 1, out);
  assert.match(out, /FAIL\s+redis/);
  assert.match(out, /redis-cli/);
});

test('the doctor does not interrupt a live stream', async () => {
  await json(server.url + '/stream/start', { method: 'POST', body: {} });
  const { code, out } = await doctor(['--screen-source', 'none', '--url', server.url, '--cycle']);
  assert.equal(code, 1, out);
  assert.match(out, /FAIL\s+cycle: start/);
  assert.equal((await json(server.url + '/stream/status')).body.active, true);
  await json(server.url + '/stream/stop', { method: 'POST' });
});
