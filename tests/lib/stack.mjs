// stack.mjs -- helpers for node:test suites that run against the stack
// started by tests/with-stack.sh (BASE_URL, STACK_DIR, STACK_BINDIR...).
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const TOP = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BASE = process.env.BASE_URL;
export const DIR = process.env.STACK_DIR;
export const BINDIR = process.env.STACK_BINDIR;
if (!BASE || !DIR) throw new Error('run me through tests/with-stack.sh');

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** fetch relative to BASE_URL; resolves to {status, headers, text, json}. */
export async function http(p, opts = {}) {
  const res = await fetch(BASE + p, { redirect: 'manual', ...opts });
  const text = await res.text();
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: res.status, headers: res.headers, text, json };
}

/** Send raw bytes over TCP to NGINX; resolves to the raw answer text. */
export function raw(bytes, timeoutMs = 5000) {
  const { port, hostname } = new URL(BASE);
  return new Promise((resolve, reject) => {
    const chunks = [];
    const s = net.connect(Number(port), hostname, () => s.write(bytes)); // no half-close: NGINX would abort
    s.setTimeout(timeoutMs, () => { s.destroy(); reject(new Error('raw: timeout')); });
    s.on('data', (d) => chunks.push(d));
    s.on('end', () => resolve(Buffer.concat(chunks).toString('latin1')));
    s.on('error', reject);
  });
}

/** Status code of a raw HTTP answer. */
export const rawStatus = (text) => Number((/^HTTP\/1\.[01] (\d{3})/.exec(text) || [])[1]);

/** Assert-friendly check of the problem+json contract. */
export function isProblem(r, status) {
  const ct = r.headers.get('content-type') || '';
  return r.status === status && ct.startsWith('application/problem+json') &&
    r.json && r.json.status === status && typeof r.json.title === 'string' &&
    typeof r.json.detail === 'string' && r.json.type === 'about:blank' &&
    r.json.request_id === r.headers.get('x-request-id');
}

/** Run tests/stack.sh SUBCOMMAND on this stack. */
export function stackCmd(...args) {
  execFileSync(path.join(TOP, 'tests/stack.sh'), [args[0], DIR, ...args.slice(1)], { stdio: 'inherit' });
}

/** Run a program; returns {status, stdout, stderr}. */
export function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...opts });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** psql as a role against the stack's database; returns {status, stdout, stderr}. */
export function psql(sql, user = 'postgres') {
  return run('psql', ['-h', process.env.PGHOST, '-U', user, '-d', 'scholarship', '-AtqX',
    '-v', 'ON_ERROR_STOP=1', '-c', sql]);
}

/** Current pool master pid (spawn-fcgi -n execs scholarship-api). */
export const masterPid = () => Number(readFileSync(path.join(DIR, 'run/api.pid'), 'utf8'));

/** Worker pids: the master's children. */
export function workerPids(master = masterPid()) {
  const r = run('pgrep', ['-P', String(master)]);
  return r.stdout.split('\n').filter(Boolean).map(Number).sort((a, b) => a - b);
}

/** What a process waits in (kernel wchan), '' when gone. */
export function wchan(pid) {
  try { return readFileSync(`/proc/${pid}/wchan`, 'utf8'); } catch { return ''; }
}

/** Is pid running? A zombie counts as gone (PID 1 here may never reap it). */
export function alive(pid) {
  try { return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8')); } catch { return false; }
}

/** Poll fn until it returns truthy or the time runs out. */
export async function until(fn, ms = 10000, step = 100) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) return v;
    await sleep(step);
  }
}

/** Parse Prometheus text into {'name{labels}': value}. */
export async function metrics() {
  const r = await http('/metrics');
  const out = {};
  for (const line of r.text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out[line.slice(0, i)] = Number(line.slice(i + 1));
  }
  return out;
}

/** Lines of the API log (JSON objects). */
export function apiLog() {
  return readFileSync(path.join(DIR, 'api.log'), 'utf8').split('\n').filter(Boolean)
    .map((l) => { try { return JSON.parse(l); } catch { return { unparsed: l }; } });
}

export const migrationFiles = () => readdirSync(path.join(TOP, 'schema/migrations')).filter((f) => /^\d{4}_.*\.sql$/.test(f)).sort();
