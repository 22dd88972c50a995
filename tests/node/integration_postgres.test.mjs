// The live platform's store on PostgreSQL (--database): several processes share accounts, sessions and
// streams; `redred migrate-sqlite-to-postgres` moves an embedded installation over; bad or unreachable
// databases are refused clearly. (Rooms across processes over Redis: integration_cluster.test.mjs.)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startRedred, tempDir } from './lib/redred.mjs';
import {
  PASSWORD, api, register, login, createStream, getStream, getComments, join, runRedred, uniqueName, commentFields,
} from './lib/live.mjs';
import { startPostgres, databaseName, PG_PASSWORD } from './lib/postgres.mjs';

let postgres;
before(async () => { postgres = await startPostgres(); });
after(async () => { await postgres?.stop(); });

test('two processes on one PostgreSQL share accounts, sessions, streams and chat history', async () => {
  const database = await postgres.createDatabase();
  const [a, b] = await Promise.all([startRedred({ args: ['--database', database] }), startRedred({ args: ['--database', database] })]);
  try {
    // Both started together and migrated once.
    assert.equal(await postgres.psql(databaseName(database), 'SELECT COUNT(*) FROM schema_migrations'),
      await postgres.psql(databaseName(database), 'SELECT MAX(version) FROM schema_migrations'));
    const username = uniqueName('ana');
    const account = await register(a, username);
    const me = await api(b, '/api/me/', { token: account.token });
    assert.equal(me.status, 200, 'a token issued by one process works on the other');
    assert.equal(me.body.user.username, username);
    assert.equal((await api(b, '/api/me/', { cookie: account.cookie })).status, 200, 'and so does the cookie');
    const twin = await api(b, '/api/auth/register/', { method: 'POST', body: { username: username.toUpperCase(), password: PASSWORD } });
    assert.equal(twin.status, 409, 'usernames are unique across processes, case-insensitively');
    const again = await login(b, username);
    assert.equal((await api(a, '/api/auth/logout/', { method: 'POST', token: again.token })).status, 200);
    assert.equal((await api(b, '/api/me/', { token: again.token })).status, 401, 'a logout on one process holds on the other');

    const stream = await createStream(a, account.token, { title: 'Uno en dos' });
    assert.equal((await getStream(b, stream.id)).title, 'Uno en dos');
    const streamer = await join(a, stream.id, { account });
    assert.equal((await getStream(b, stream.id)).status, 'live', 'a stream made live through one process is live on the other');
    streamer.send({ type: 'comment', content: 'guardado en PostgreSQL', ref: 'c1' });
    const ack = await streamer.next('comment', { where: (m) => m.ref === 'c1' });
    const history = await getComments(b, stream.id);
    assert.deepEqual(history.results.map(commentFields), [commentFields(ack)]);
    await streamer.close();
    const metrics = await (await fetch(`${a.url}/metrics`)).text();
    const commits = Number(metrics.match(/^redred_db_commit_seconds_count (\d+)/m)?.[1]);
    assert.ok(commits >= 3, `each process reports its commits and their latency:\n${metrics.slice(0, 300)}`);
    assert.match(metrics, /^redred_db_commit_seconds_bucket\{le="\+Inf"\} \d+/m);
  } finally {
    await Promise.all([a.stop(), b.stop()]);
  }
});

test('migrate-sqlite-to-postgres copies an embedded installation once, and the server then runs on it', async () => {
  const dataDir = tempDir('redred-migrate-');
  const embedded = await startRedred({ dataDir });
  const account = await register(embedded, uniqueName('vieja'));
  const stream = await createStream(embedded, account.token, { title: 'Antes de migrar' });
  const streamer = await join(embedded, stream.id, { account });
  streamer.send({ type: 'comment', content: 'escrito en SQLite 👋', ref: 'old' });
  const ack = await streamer.next('comment', { where: (m) => m.ref === 'old' });
  await streamer.close();
  await embedded.stop();

  const database = await postgres.createDatabase();
  const first = await runRedred(['migrate-sqlite-to-postgres', '--data-dir', dataDir, '--database', database]);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout, /users\s+1\s+1\s+0/);
  assert.match(first.stdout, /live_stream_comments\s+1\s+1\s+0/);
  assert.ok(!first.stdout.includes(PG_PASSWORD) && !first.stderr.includes(PG_PASSWORD), 'the password is never printed');
  const second = await runRedred(['migrate-sqlite-to-postgres', '--data-dir', dataDir, '--database', database]);
  assert.equal(second.code, 0, second.stderr);
  assert.match(second.stdout, /0 row\(s\) copied \(already up to date\)/);

  const server = await startRedred({ args: ['--database', database] });
  try {
    const me = await api(server, '/api/me/', { token: account.token });
    assert.equal(me.status, 200, 'a session from the embedded installation still works');
    assert.deepEqual(me.body.user, account.user);
    assert.equal((await getStream(server, stream.id)).title, 'Antes de migrar');
    assert.deepEqual((await getComments(server, stream.id)).results.map(commentFields), [commentFields(ack)]);
    const newcomer = await register(server, uniqueName('nueva'));
    assert.equal(newcomer.user.id, account.user.id + 1, 'new ids continue after the copied ones');
  } finally {
    await server.stop();
  }
});

test('bad, unreachable or missing databases are refused with a clear message', async () => {
  const bad = await runRedred(['serve', '--listen', '127.0.0.1:0', '--database', 'mysql://x@127.0.0.1/db', '--screen-source', 'none']);
  assert.equal(bad.code, 2);
  assert.match(bad.stdout + bad.stderr, /--database must be a postgres:\/\//);

  const unreachable = await runRedred(['serve', '--listen', '127.0.0.1:0', '--data-dir', tempDir('redred-pg-down-'),
    '--database', `postgres://redred:hunter2@127.0.0.1:${postgres.port}/no_such_database`, '--screen-source', 'none']);
  assert.equal(unreachable.code, 1);
  const said = unreachable.stdout + unreachable.stderr;
  assert.match(said, /database unavailable.*no_such_database/);
  assert.ok(!said.includes('hunter2'), said);

  const noSqlite = await runRedred(['migrate-sqlite-to-postgres', '--data-dir', tempDir('redred-empty-'), '--database', postgres.url('postgres')]);
  assert.equal(noSqlite.code, 1);
  assert.match(noSqlite.stderr, /no SQLite database at/);
  const noTarget = await runRedred(['migrate-sqlite-to-postgres', '--data-dir', tempDir('redred-empty-')]);
  assert.notEqual(noTarget.code, 0);
  assert.match(noTarget.stdout + noTarget.stderr, /--database/);
});

test('redred doctor checks PostgreSQL: reachable, migrations current', async () => {
  const database = await postgres.createDatabase();
  const doctor = (url) => runRedred(['doctor', '--screen-source', 'none', '--database', url]);
  const empty = await doctor(database);
  assert.equal(empty.code, 1, empty.stdout);
  assert.match(empty.stdout, /ok\s+database\s+PostgreSQL 15\.\d+ at postgres:\/\/redred:\*\*\*@127\.0\.0\.1/);
  assert.match(empty.stdout, /FAIL\s+migrations\s+schema version 0, this redred expects \d+\n\s+-> start `redred serve --database/);

  const server = await startRedred({ args: ['--database', database] });
  await server.stop();
  const current = await doctor(database);
  assert.equal(current.code, 0, current.stdout);
  assert.match(current.stdout, /ok\s+migrations\s+schema version \d+ \(current\)/);

  const down = await doctor(`postgres://redred:${PG_PASSWORD}@127.0.0.1:1/x`);
  assert.equal(down.code, 1);
  assert.match(down.stdout, /FAIL\s+database\s+postgres connect to postgres:\/\/redred:\*\*\*@127\.0\.0\.1:1\/x failed/);
  assert.ok(!down.stdout.includes(PG_PASSWORD));
});
