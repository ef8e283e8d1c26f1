// server.mjs -- the S3 peer of the s3 suite: npm's s3rver behind a small
// proxy that checks every request's SigV4 signature with an independent
// implementation (@smithy/signature-v4 with @aws-crypto/sha256-js) before
// passing it on, because s3rver itself does not verify V4 signatures.
//
// Checked: header-signed requests (Authorization: AWS4-HMAC-SHA256 ...,
// as libcurl's CURLOPT_AWS_SIGV4 sends them) are re-signed by smithy over
// exactly the headers the client listed, at the client's X-Amz-Date, and
// both the signed-header list and the signature must match; the body's
// SHA-256 must equal x-amz-content-sha256. Presigned URLs (X-Amz-Signature
// in the query) are re-presigned by smithy with the same date and expiry
// and must match and must not have expired. Anything else (no signature,
// another access key, region or service) is refused. A refusal is a 403
// SignatureDoesNotMatch; every verdict is one JSON line in S3_LOG.
//
// Environment: S3_DIR (s3rver's files), S3_PORT_FILE (the proxy's port is
// written there when ready), S3_PID_FILE, S3_LOG, S3_ACCESS_KEY (s3rver
// knows only "S3RVER"), S3_SECRET_KEY, S3_REGION.
// Signals: SIGUSR1 stops listening and drops open connections ("storage
// down"), SIGUSR2 listens again on the same port, SIGTERM exits.
import http from 'node:http';
import { createHash } from 'node:crypto';
import { appendFileSync, writeFileSync } from 'node:fs';
import S3rver from 's3rver';
import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '@aws-crypto/sha256-js';

const { S3_DIR, S3_PORT_FILE, S3_PID_FILE, S3_LOG } = process.env;
const ACCESS = process.env.S3_ACCESS_KEY ?? 'S3RVER';
const SECRET = process.env.S3_SECRET_KEY;
const REGION = process.env.S3_REGION ?? 'us-east-1';
if (!S3_DIR || !S3_PORT_FILE || !SECRET) throw new Error('S3_DIR, S3_PORT_FILE and S3_SECRET_KEY are needed');

const signer = (secret = SECRET, region = REGION) => new SignatureV4({
  service: 's3', region, sha256: Sha256, uriEscapePath: false, applyChecksum: true,
  credentials: { accessKeyId: ACCESS, secretAccessKey: secret },
});
const sigv4 = signer();

// 20130524T000000Z -> Date
const amzDate = (s) => {
  const m = /^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/.exec(s ?? '');
  if (!m) throw new Error(`bad X-Amz-Date ${s}`);
  return new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]));
};

function splitUrl(url) {
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const query = {};
  for (const [k, v] of new URLSearchParams(q < 0 ? '' : url.slice(q + 1))) {
    query[k] = k in query ? [].concat(query[k], v) : v;
  }
  return { path, query };
}

function checkScope(credential, date) {
  const [key, day, region, service, term] = credential.split('/');
  if (key !== ACCESS) throw new Error(`unknown access key ${key}`);
  if (day !== date.slice(0, 8) || region !== REGION || service !== 's3' || term !== 'aws4_request') {
    throw new Error(`bad credential scope ${credential}`);
  }
}

async function verifyHeaderSigned(req, body) {
  const m = /^AWS4-HMAC-SHA256 Credential=([^,]+), ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(req.headers.authorization);
  if (!m) throw new Error('malformed Authorization');
  const [, credential, signedHeaders, signature] = m;
  const date = req.headers['x-amz-date'];
  checkScope(credential, date);
  const when = amzDate(date);
  if (Math.abs(Date.now() - when) > 15 * 60e3) throw new Error('X-Amz-Date too far from now');
  const sha = req.headers['x-amz-content-sha256'];
  if (!sha) throw new Error('no x-amz-content-sha256');
  if (sha !== 'UNSIGNED-PAYLOAD' && sha !== createHash('sha256').update(body).digest('hex')) {
    throw new Error('x-amz-content-sha256 is not the body\'s SHA-256');
  }
  const names = signedHeaders.split(';');
  for (const n of ['host', 'x-amz-date', 'x-amz-content-sha256']) {
    if (!names.includes(n)) throw new Error(`${n} is not signed`);
  }
  const headers = {};
  for (const n of names) {
    if (req.headers[n] === undefined) throw new Error(`signed header ${n} missing`);
    headers[n] = req.headers[n];
  }
  const { path, query } = splitUrl(req.url);
  const signed = await sigv4.sign({ method: req.method, protocol: 'http:', hostname: req.headers.host, path, query, headers },
    { signingDate: when });
  const want = signed.headers.authorization;
  const got = req.headers.authorization.replace(/, ?/g, ', ');
  if (got !== want) throw new Error(`signature mismatch: got ${got} want ${want}`);
}

async function verifyPresigned(req) {
  const { path, query } = splitUrl(req.url);
  const date = query['X-Amz-Date'];
  if (query['X-Amz-Algorithm'] !== 'AWS4-HMAC-SHA256') throw new Error('bad X-Amz-Algorithm');
  checkScope(query['X-Amz-Credential'] ?? '', date ?? '');
  const when = amzDate(date);
  const expires = Number(query['X-Amz-Expires']);
  if (!Number.isInteger(expires) || expires < 1 || expires > 604800) throw new Error('bad X-Amz-Expires');
  if (Date.now() > when.getTime() + expires * 1000) throw new Error('presigned URL expired');
  if (Date.now() < when.getTime() - 15 * 60e3) throw new Error('presigned URL from the future');
  const rest = {};
  for (const [k, v] of Object.entries(query)) if (!/^X-Amz-(Algorithm|Credential|Date|Expires|SignedHeaders|Signature)$/.test(k)) rest[k] = v;
  const headers = { host: req.headers.host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' };
  const keep = new Set(['x-amz-content-sha256']);
  const p = await sigv4.presign({ method: req.method, protocol: 'http:', hostname: req.headers.host, path, query: rest, headers },
    { signingDate: when, expiresIn: expires, unsignableHeaders: keep, unhoistableHeaders: keep });
  for (const k of ['X-Amz-SignedHeaders', 'X-Amz-Credential', 'X-Amz-Signature']) {
    if (p.query[k] !== query[k]) throw new Error(`${k} mismatch: got ${query[k]} want ${p.query[k]}`);
  }
}

function log(entry) {
  if (S3_LOG) appendFileSync(S3_LOG, JSON.stringify({ t: new Date().toISOString(), ...entry }) + '\n');
}

const s3rver = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: S3_DIR });
const { port: upstream } = await s3rver.run();

const sockets = new Set();
const proxy = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('error', () => {});
  req.on('end', async () => {
    const body = Buffer.concat(chunks);
    const entry = { method: req.method, url: req.url.replace(/X-Amz-Signature=[0-9a-f]+/, 'X-Amz-Signature=…') };
    try {
      if (req.headers.authorization) await verifyHeaderSigned(req, body);
      else if ('X-Amz-Signature' in splitUrl(req.url).query) await verifyPresigned(req);
      else throw new Error('unsigned request');
    } catch (e) {
      log({ ...entry, ok: false, reason: e.message });
      res.writeHead(403, { 'Content-Type': 'application/xml' });
      res.end(`<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SignatureDoesNotMatch</Code><Message>${e.message.replace(/[<&>]/g, '')}</Message></Error>`);
      return;
    }
    log({ ...entry, ok: true });
    const up = http.request({ host: '127.0.0.1', port: upstream, method: req.method, path: req.url, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode, r.headers);
      r.pipe(res);
    });
    up.on('error', (e) => { res.writeHead(502); res.end(String(e.message)); });
    up.end(body);
  });
});
proxy.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });

let port = 0;
const listen = () => new Promise((resolve) => proxy.listen(port, '127.0.0.1', () => { port = proxy.address().port; resolve(); }));
await listen();
process.on('SIGUSR1', () => {
  proxy.close();
  for (const s of sockets) s.destroy();
  log({ control: 'down' });
});
process.on('SIGUSR2', async () => {
  if (!proxy.listening) await listen();
  log({ control: 'up' });
});
process.on('SIGTERM', async () => {
  proxy.close();
  for (const s of sockets) s.destroy();
  await s3rver.close().catch(() => {});
  process.exit(0);
});
if (S3_PID_FILE) writeFileSync(S3_PID_FILE, `${process.pid}\n`);
writeFileSync(S3_PORT_FILE, `${port}\n`);
