// TLS helpers for the tests: self-signed certificates made with the openssl command line (the tests trust them
// explicitly, nothing is installed system-wide), a redred started with --tls-cert/--tls-key, and small HTTPS
// clients that trust exactly one certificate.
import { execFileSync, spawn } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { redredBin, startRedred, stopProcess, tempDir, waitFor } from './redred.mjs';

// A self-signed certificate (EC P-256, 2 days) for `names` (DNS names; IP addresses become IP SANs).
// Returns { cert, key, certPem, keyPem, spki, subject } (paths and contents; spki: base64 SHA-256 of the public
// key, what Chromium's --ignore-certificate-errors-spki-list takes).
export function makeCertificate({ cn = 'redred-test', names = ['127.0.0.1', 'localhost'], dir = tempDir('redred-tls-') } = {}) {
  const cert = path.join(dir, `${cn}.crt.pem`);
  const key = path.join(dir, `${cn}.key.pem`);
  const san = names.map((n) => (/^[\d.]+$/.test(n) ? `IP:${n}` : `DNS:${n}`)).join(',');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', key, '-out', cert, '-days', '2', '-subj', `/CN=${cn}`, '-addext', `subjectAltName=${san}`],
  { stdio: ['ignore', 'ignore', 'pipe'] });
  const certPem = readFileSync(cert, 'utf8');
  const x509 = new X509Certificate(certPem);
  const spki = createHash('sha256').update(x509.publicKey.export({ type: 'spki', format: 'der' })).digest('base64');
  return { cert, key, certPem, keyPem: readFileSync(key, 'utf8'), spki, subject: x509.subject, fingerprint: x509.fingerprint256 };
}

// redred serve with TLS on a free loopback port; `url` is https://127.0.0.1:<port>. With `host` (another address
// of this machine, e.g. the test namespace's $REDRED_TEST_MEDIA_IP) it listens there instead (startRedredOn).
export async function startTlsRedred(certificate, options = {}) {
  if (options.host !== undefined && options.host !== '127.0.0.1') return startRedredOn(options.host, { ...options, certificate });
  const server = await startRedred({ ...options, args: ['--tls-cert', certificate.cert, '--tls-key', certificate.key, ...(options.args ?? [])] });
  return { ...server, url: `https://127.0.0.1:${server.port}`, wsBase: `wss://127.0.0.1:${server.port}` };
}

const startedOn = new Set();
process.on('exit', () => { for (const p of startedOn) { try { p.kill('SIGKILL'); } catch { /* gone */ } } });

// redred serve listening on `host` (an IPv4 address of this machine) with a free port: HTTPS/WSS with
// `certificate` ({ cert, key } paths), plain HTTP without. Same options and result as startRedred
// ({ url, wsBase, port, proc, dataDir, log(), stop(signal) }); `url` is http(s)://<host>:<port>.
export async function startRedredOn(host, { args = [], env = {}, screenSource = 'pattern', dataDir, webRoot, certificate } = {}) {
  const dir = dataDir ?? tempDir('redred-data-');
  const fullArgs = ['serve', '--listen', `${host}:0`, '--data-dir', dir, '--screen-source', screenSource];
  if (webRoot !== undefined) fullArgs.push('--web-root', webRoot);
  if (certificate !== undefined) fullArgs.push('--tls-cert', certificate.cert, '--tls-key', certificate.key);
  fullArgs.push(...args);
  const proc = spawn(redredBin, fullArgs, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  startedOn.add(proc);
  proc.on('exit', () => startedOn.delete(proc));
  const output = [];
  const collect = (chunk) => { output.push(chunk.toString()); if (process.env.REDRED_TEST_VERBOSE) process.stderr.write(`[redred ${host}] ${chunk}`); };
  proc.stdout.on('data', collect);
  proc.stderr.on('data', collect);
  const log = () => output.join('');
  const listening = new RegExp(`listening address=${host.replace(/\./g, '\\.')}:(\\d+)`);
  const port = await waitFor(() => {
    if (proc.exitCode !== null) throw Object.assign(new Error(`redred exited with ${proc.exitCode}:\n${log()}`), { fatal: true });
    const m = log().match(listening);
    return m ? Number(m[1]) : 0;
  }, { timeoutMs: 15000, what: `redred to listen on ${host}` }).catch((e) => { proc.kill('SIGKILL'); throw new Error(`${e.message}\n${log()}`); });
  const scheme = certificate !== undefined ? 'https' : 'http';
  return {
    url: `${scheme}://${host}:${port}`,
    wsBase: `${certificate !== undefined ? 'wss' : 'ws'}://${host}:${port}`,
    port,
    proc,
    dataDir: dir,
    log,
    stop: (signal = 'SIGTERM') => stopProcess(proc, signal),
  };
}

// One HTTPS request trusting only `ca` (PEM). Resolves with { status, headers, text, body (parsed JSON or
// undefined), cert (the server's certificate), protocol, cipher }.
export function httpsRequest(url, { ca, method = 'GET', body, headers = {}, timeoutMs = 10000, tlsOptions = {} } = {}) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const h = { ...headers };
    if (payload !== undefined) { h['content-type'] ??= 'application/json'; h['content-length'] = Buffer.byteLength(payload); }
    const req = https.request(url, { method, headers: h, ca, agent: false, timeout: timeoutMs, ...tlsOptions }, (res) => {
      const chunks = [];
      const socket = res.socket;
      const peer = socket.getPeerCertificate();
      const protocol = socket.getProtocol();
      const cipher = socket.getCipher();
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        let parsed;
        try { parsed = JSON.parse(text); } catch { parsed = undefined; }
        resolve({ status: res.statusCode, headers: res.headers, text, body: parsed, cert: peer, protocol, cipher });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url} within ${timeoutMs} ms`)));
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}
