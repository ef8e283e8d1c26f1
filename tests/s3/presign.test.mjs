// presign.test.mjs -- lib/s3sign.c's presigned URLs are byte for byte the
// ones @smithy/signature-v4's presign makes for the same canonical request
// (GET, host header only, UNSIGNED-PAYLOAD), fixed inputs and fixed time.
// tests/s3/presign.c is built here with the project's compiler and flags
// (config.mk) against BINDIR's libscholarship.a and prints our URL; the
// AWS documentation's example (its published signature) comes first.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '@aws-crypto/sha256-js';
import { run, TOP, BINDIR, DIR } from '../lib/stack.mjs';

const helper = path.join(DIR, 'presign');
const TEST_ACCESS = 'TESTACCESSKEY0000000';
const TEST_SECRET = 'test/secret+key=for-signing-only';

before(() => {
  const mk = readFileSync(path.join(TOP, 'config.mk'), 'utf8');
  const v = (name) => ((new RegExp(`^${name}\\s*=(.*)$`, 'm').exec(mk) || [])[1] || '').trim().split(/\s+/).filter(Boolean);
  const cc = v('CC')[0] || 'cc';
  const san = path.basename(BINDIR) === 'asan' ? ['-fsanitize=address,undefined', '-fno-sanitize-recover=undefined'] : [];
  const r = run(cc, ['-std=gnu11', '-g', '-Wall', '-Wextra', '-Werror', '-D_GNU_SOURCE', '-Ilib', ...v('DEP_CFLAGS'), ...san,
    '-o', helper, 'tests/s3/presign.c', path.join(BINDIR, 'libscholarship.a'), ...v('DEP_LIBS'), '-lm'], { cwd: TOP });
  assert.equal(r.status, 0, r.stderr);
});

function ours(i) {
  const r = run(helper, [i.method ?? 'GET', i.scheme, i.host, i.path, i.region, i.access, i.secret, String(i.time), String(i.expires),
    ...(i.disposition !== undefined ? [i.disposition, ...(i.type !== undefined ? [i.type] : [])] : [])]);
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

async function smithy(i) {
  const signer = new SignatureV4({ service: 's3', region: i.region, sha256: Sha256, uriEscapePath: false,
    credentials: { accessKeyId: i.access, secretAccessKey: i.secret } });
  const query = {};
  if (i.disposition !== undefined) query['response-content-disposition'] = i.disposition;
  if (i.type !== undefined) query['response-content-type'] = i.type;
  // S3's presigned form: the payload is UNSIGNED-PAYLOAD and only host is signed.
  const keep = new Set(['x-amz-content-sha256']);
  const p = await signer.presign({ method: i.method ?? 'GET', protocol: `${i.scheme}:`, hostname: i.host,
    path: i.path.split('/').map(rfc3986).join('/'), query, // SigV4's encoding: RFC 3986 unreserved kept
    headers: { host: i.host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } },
  { signingDate: new Date(i.time * 1000), expiresIn: i.expires, unsignableHeaders: keep, unhoistableHeaders: keep });
  return p;
}

const rfc3986 = (s) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
/** smithy's request as a URL, query in the canonical order, signature last (as S3 clients write it). */
function urlOf(i, p) {
  const q = Object.entries(p.query).filter(([k]) => k !== 'X-Amz-Signature').sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, val]) => `${rfc3986(k)}=${rfc3986(val)}`);
  return `${i.scheme}://${i.host}${p.path}?${q.join('&')}&X-Amz-Signature=${p.query['X-Amz-Signature']}`;
}

const KEY = '/scholarship-documents/applications/0b7c2f4e-1111-4222-8333-944455556666/7d1e2f3a-aaaa-4bbb-8ccc-dddd0000eeee';
const cases = {
  'the request of the AWS documentation example': { scheme: 'https', host: 'examplebucket.s3.amazonaws.com', path: '/test.txt', region: 'us-east-1',
    access: TEST_ACCESS, secret: TEST_SECRET, time: 1369353600, expires: 86400 },
  'our 60-second download with response headers': { scheme: 'http', host: '127.0.0.1:9000', path: KEY, region: 'us-east-1',
    access: TEST_ACCESS, secret: TEST_SECRET, time: 1767323045, expires: 60,
    disposition: 'attachment; filename="a b.pdf"; filename*=UTF-8\'\'a%20b%E2%9C%93.pdf', type: 'application/pdf' },
  'a Chinese file name, https, another region and port': { scheme: 'https', host: 'files.example.edu:8443', path: KEY, region: 'ap-northeast-1',
    access: 'MINIOACCESS', secret: 'x/y+z=w', time: 1800000000, expires: 60,
    disposition: 'attachment; filename="____ 2026.pdf"; filename*=UTF-8\'\'%E6%88%90%E7%B8%BE%E5%96%AE%202026.pdf', type: 'image/jpeg' },
  'odd characters in path and values': { scheme: 'http', host: 'localhost:9000', path: '/bucket/a b/c+d~e_(f)!', region: 'us-east-1',
    access: 'AK', secret: 'S', time: 1700000000, expires: 1, disposition: 'inline; x=*\'()!', type: 'text/plain; charset=utf-8' },
};

for (const [name, i] of Object.entries(cases)) {
  test(`presign equals @smithy/signature-v4: ${name}`, async () => {
    const p = await smithy(i);
    const url = ours(i);
    assert.equal(url, urlOf(i, p));
    assert.equal(new URL(url).searchParams.get('X-Amz-Signature'), p.query['X-Amz-Signature']);
    if (name.startsWith('the request of the AWS')) {
      // The value tests/unit/test_s3sign.c pins for the same request.
      assert.equal(p.query['X-Amz-Signature'], '011450c4b4d74bf40344bb29f20d91ba701de8add0a97da10fcfb5c532da357e');
    }
  });
}
