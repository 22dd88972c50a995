// Recording uploads (docs/API.md "Recording"): chunked and resumable, only by the streamer while live, served
// with HTTP Range, kept across restarts, and cut back to the acknowledged bytes after a crash.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startRedred } from './lib/redred.mjs';
import { register, createStream, join, uniqueName, api } from './lib/live.mjs';

let server;
before(async () => { server = await startRedred({ args: ['--max-recording-bytes', '100000'] }); });
after(async () => { await server?.stop(); });

async function putChunk(streamId, seq, bytes, token) {
  const res = await fetch(`${server.url}/api/live/${streamId}/recording/chunks/${seq}/`, {
    method: 'PUT', headers: { authorization: `Bearer ${token}`, 'content-type': 'video/webm' }, body: bytes,
  });
  return { status: res.status, body: await res.json() };
}

const chunk = (size, fill) => Buffer.alloc(size, fill);

async function liveStream() {
  const streamer = await register(server, uniqueName('rec'));
  const stream = await createStream(server, streamer.token);
  const studio = await join(server, stream.id, { account: streamer });  // the streamer connecting makes it live
  return { streamer, stream, studio };
}

test('chunks are stored in order, retries are idempotent, gaps get next_seq, Range works', async () => {
  const { streamer, stream, studio } = await liveStream();
  assert.equal((await putChunk(stream.id, 0, chunk(1000, 0x41), streamer.token)).status, 200);
  const second = await putChunk(stream.id, 1, chunk(2000, 0x42), streamer.token);
  assert.equal(second.status, 200);
  assert.equal(second.body.recording.bytes, 3000);
  assert.equal(second.body.recording.next_seq, 2);
  const retry = await putChunk(stream.id, 1, chunk(2000, 0x42), streamer.token);
  assert.equal(retry.status, 200, 'a retried chunk is acknowledged again');
  assert.equal(retry.body.recording.bytes, 3000, 'and not stored twice');
  const gap = await putChunk(stream.id, 5, chunk(10, 0x43), streamer.token);
  assert.equal(gap.status, 409);
  assert.equal(gap.body.next_seq, 2);

  const range = await fetch(`${server.url}/api/live/${stream.id}/recording/file`, { headers: { range: 'bytes=990-1009' } });
  assert.equal(range.status, 206);
  assert.equal(range.headers.get('content-range'), 'bytes 990-1009/3000');
  assert.equal(range.headers.get('accept-ranges'), 'bytes');
  const bytes = Buffer.from(await range.arrayBuffer());
  assert.deepEqual([...bytes], [...chunk(10, 0x41), ...chunk(10, 0x42)], 'the chunks are in order in the file');
  const whole = await fetch(`${server.url}/api/live/${stream.id}/recording/file`);
  assert.equal(whole.status, 200);
  assert.equal((await whole.arrayBuffer()).byteLength, 3000);
  const outside = await fetch(`${server.url}/api/live/${stream.id}/recording/file`, { headers: { range: 'bytes=3000-' } });
  assert.equal(outside.status, 416);
  assert.equal(outside.headers.get('content-range'), 'bytes */3000');
  await studio.close();
});

test('only the streamer, only while live, within the size limit', async () => {
  const { streamer, stream, studio } = await liveStream();
  const other = await register(server, uniqueName('other'));
  assert.equal((await putChunk(stream.id, 0, chunk(10, 1), other.token)).status, 403);
  const guest = await fetch(`${server.url}/api/live/${stream.id}/recording/chunks/0/`, { method: 'PUT', body: chunk(10, 1) });
  assert.equal(guest.status, 401);
  assert.equal((await putChunk(stream.id, 0, chunk(60000, 1), streamer.token)).status, 200);
  const over = await putChunk(stream.id, 1, chunk(60000, 2), streamer.token);
  assert.equal(over.status, 413, 'past --max-recording-bytes');
  assert.equal(over.body.error, 'too_large');
  studio.send({ type: 'end_stream' });
  await studio.waitClosed();
  const ended = await putChunk(stream.id, 1, chunk(10, 2), streamer.token);
  assert.equal(ended.status, 409, 'no uploads once the stream has ended');
  const none = await createStream(server, streamer.token);
  assert.equal((await api(server, `/api/live/${none.id}/recording/`)).status, 404);
});

test('a recording survives a restart, and a crash tail is cut back to the acknowledged bytes', async () => {
  const { streamer, stream, studio } = await liveStream();
  assert.equal((await putChunk(stream.id, 0, chunk(500, 0x61), streamer.token)).status, 200);
  await studio.close();
  // As if the server died after writing a chunk but before acknowledging it: bytes past the row's count.
  fs.appendFileSync(path.join(server.dataDir, 'recordings', `${stream.id}.webm`), chunk(77, 0x7a));
  await server.stop();
  server = await startRedred({ dataDir: server.dataDir, args: ['--max-recording-bytes', '100000'] });
  const info = await api(server, `/api/live/${stream.id}/recording/`);
  assert.equal(info.status, 200);
  assert.equal(info.body.recording.bytes, 500);
  const studio2 = await join(server, stream.id, { account: streamer });
  assert.equal((await putChunk(stream.id, 1, chunk(100, 0x62), streamer.token)).status, 200);
  const file = Buffer.from(await (await fetch(`${server.url}/api/live/${stream.id}/recording/file`)).arrayBuffer());
  assert.equal(file.length, 600);
  assert.deepEqual([...file.subarray(495, 505)], [...chunk(5, 0x61), ...chunk(5, 0x62)], 'the unacknowledged tail is gone');
  await studio2.close();
});
