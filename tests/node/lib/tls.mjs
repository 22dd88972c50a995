// TLS helpers for the tests: self-signed certificates made with the openssl command line (the tests trust them
// explicitly, nothing is installed system-wide), a redred started with --tls-cert/--tls-key, and small HTTPS
// clients that trust exactly one certificate.
import { execFileSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { startRedred, tempDir } from './redred.mjs';

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

// redred serve with TLS on a free loopback port; `url` is https://127.0.0.1:<port>.
export async function startTlsRedred(certificate, options = {}) {
  const server = await startRedred({ ...options, args: ['--tls-cert', certificate.cert, '--tls-key', certificate.key, ...(options.args ?? [])] });
  return { ...server, url: `https://127.0.0.1:${server.port}`, wsBase: `wss://127.0.0.1:${server.port}` };
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
