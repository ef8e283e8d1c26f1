// ctl.test.mjs -- scholarshipctl (migrate, status, check-config,
// create-admin), the database roles and the append-only audit table,
// and the configuration rules the programs enforce at start.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, appendFileSync, writeFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run, psql, TOP, BINDIR, migrationFiles } from '../lib/stack.mjs';

const ctl = (args, opts = {}) => run(path.join(BINDIR, 'scholarshipctl'), args, { cwd: TOP, ...opts });
const envWith = (extra) => ({ ...process.env, ...extra });

test('migrate is idempotent and records every file with its checksum', () => {
  const r = ctl(['migrate']);
  assert.equal(r.status, 0, r.stderr);
  assert.doesNotMatch(r.stdout, /applied/);
  assert.match(r.stdout, /up to date/);
  const rows = psql('SELECT name, length(checksum) FROM schema_migrations ORDER BY name').stdout.trim().split('\n');
  assert.deepEqual(rows, migrationFiles().map((f) => `${f}|64`));
  const s = ctl(['status']);
  assert.equal(s.status, 0);
  assert.match(s.stdout, /0 pending/);
});

test('an applied migration that was edited is refused', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'schema-'));
  try {
    cpSync(path.join(TOP, 'schema'), dir, { recursive: true });
    appendFileSync(path.join(dir, 'migrations', migrationFiles()[0]), '\n-- edited\n');
    const r = ctl(['--schema', dir, 'migrate']);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /edited after it was applied/);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('a failing migration leaves nothing behind; status lists it as pending', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'schema-'));
  try {
    cpSync(path.join(TOP, 'schema'), dir, { recursive: true });
    writeFileSync(path.join(dir, 'migrations', '9999_broken.sql'),
      'CREATE TABLE half_done (id int);\nSELECT 1/0;\n');
    const r = ctl(['--schema', dir, 'migrate']);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /9999_broken\.sql failed/);
    assert.equal(psql("SELECT to_regclass('half_done') IS NULL").stdout.trim(), 't');
    assert.equal(psql("SELECT count(*) FROM schema_migrations WHERE name = '9999_broken.sql'").stdout.trim(), '0');
    const s = ctl(['--schema', dir, 'status']);
    assert.equal(s.status, 3);
    assert.match(s.stdout, /pending {2}9999_broken\.sql/);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('the app role has DML only: no DDL, no ownership', () => {
  const ddl = psql('CREATE TABLE app_made (id int)', 'scholarship_app');
  assert.notEqual(ddl.status, 0);
  assert.match(ddl.stderr, /permission denied/);
  const drop = psql('DROP TABLE users', 'scholarship_app');
  assert.notEqual(drop.status, 0);
  assert.match(drop.stderr, /must be owner/);
  const dml = psql("SELECT count(*) FROM users", 'scholarship_app');
  assert.equal(dml.status, 0, dml.stderr);
  const mon = psql("INSERT INTO audit_log (action, entity_type) VALUES ('x', 'y')", 'scholarship_monitoring');
  assert.notEqual(mon.status, 0, 'monitoring is read-only');
});

test('the audit log is append-only, even for its owner', () => {
  const ins = psql("INSERT INTO audit_log (action, entity_type, entity_id) VALUES ('test.append', 'test', '1') RETURNING id", 'scholarship_app');
  assert.equal(ins.status, 0, ins.stderr);
  const id = ins.stdout.trim();
  for (const user of ['scholarship_app', 'scholarship_owner']) {
    const upd = psql(`UPDATE audit_log SET action = 'changed' WHERE id = ${Number(id)}`, user);
    assert.notEqual(upd.status, 0, `${user} cannot UPDATE`);
    const del = psql(`DELETE FROM audit_log WHERE id = ${Number(id)}`, user);
    assert.notEqual(del.status, 0, `${user} cannot DELETE`);
  }
  const tr = psql('TRUNCATE audit_log', 'scholarship_owner');
  assert.notEqual(tr.status, 0);
  assert.match(tr.stderr, /append-only/);
  assert.equal(psql(`SELECT action FROM audit_log WHERE id = ${Number(id)}`).stdout.trim(), 'test.append');
});

test('emails are unique case-insensitively', () => {
  const a = psql("INSERT INTO users (email, full_name, role) VALUES ('Case@Example.edu', 'A', 'student')", 'scholarship_app');
  assert.equal(a.status, 0, a.stderr);
  const b = psql("INSERT INTO users (email, full_name, role) VALUES ('case@example.EDU', 'B', 'student')", 'scholarship_app');
  assert.notEqual(b.status, 0);
  assert.match(b.stderr, /duplicate key/);
  const bad = psql("INSERT INTO users (email, full_name, role) VALUES ('x@y.z', 'C', 'wizard')", 'scholarship_app');
  assert.match(bad.stderr, /check constraint/);
});

test('create-admin makes a verified super admin with an argon2id hash', () => {
  const r = ctl(['create-admin', '--email', 'root@demo.example.edu', '--name', 'Root Admin'], { input: 'a-long-enough-password\n' });
  assert.equal(r.status, 0, r.stderr);
  const row = psql("SELECT role, email_verified, active, substr(password_hash, 1, 10) FROM users WHERE email = 'root@demo.example.edu'").stdout.trim();
  assert.equal(row, 'super_admin|t|t|$argon2id$');
  const dup = ctl(['create-admin', '--email', 'ROOT@demo.example.edu', '--name', 'Again'], { input: 'a-long-enough-password\n' });
  assert.notEqual(dup.status, 0);
  assert.match(dup.stderr, /already exists/);
  const short = ctl(['create-admin', '--email', 'x@demo.example.edu', '--name', 'X'], { input: 'short\n' });
  assert.equal(short.status, 2);
  assert.match(short.stderr, /at least 10 characters/);
  assert.equal(psql("SELECT count(*) FROM users WHERE email = 'x@demo.example.edu'").stdout.trim(), '0');
});

test('check-config names every bad variable and enforces the production rules', () => {
  const good = ctl(['check-config']);
  assert.equal(good.status, 0, good.stderr);
  const bad = ctl(['check-config'], { env: envWith({ SCHOLARSHIP_WORKERS: 'many', ALGORITHM: 'none', MAX_UPLOAD_MB: '0' }) });
  assert.equal(bad.status, 1);
  for (const v of ['SCHOLARSHIP_WORKERS', 'ALGORITHM', 'MAX_UPLOAD_MB']) assert.match(bad.stderr, new RegExp(v));
  for (const flag of ['ENVIRONMENT', 'PYTHON_ENV', 'NODE_ENV']) {
    const weak = ctl(['check-config'], { env: envWith({ [flag]: 'production', SECRET_KEY: 'short' }) });
    assert.equal(weak.status, 1, `${flag}=production with a short key`);
    assert.match(weak.stderr, /SECRET_KEY/);
  }
  const missing = { ...envWith({ ENVIRONMENT: 'production' }) };
  delete missing.SECRET_KEY;
  assert.equal(ctl(['check-config'], { env: missing }).status, 1);
  const dflt = ctl(['check-config'], { env: envWith({ ENVIRONMENT: 'production', SECRET_KEY: 'changeme-changeme-changeme-changeme-1234' }) });
  assert.equal(dflt.status, 1);
  const debug = ctl(['check-config'], { env: envWith({ ENVIRONMENT: 'production', DEBUG: 'true' }) });
  assert.equal(debug.status, 1);
  assert.match(debug.stderr, /DEBUG/);
  const prod = ctl(['check-config'], { env: envWith({ ENVIRONMENT: 'production', DATABASE_URL: 'postgresql+asyncpg://u@db/x' }) });
  assert.equal(prod.status, 0, prod.stderr);
  assert.match(prod.stdout, /production/);
});

test('scholarship-api refuses to start with a weak key in production', () => {
  const r = run(path.join(BINDIR, 'scholarship-api'), [], { env: envWith({ ENVIRONMENT: 'production', SECRET_KEY: 'x' }), input: '' });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /SECRET_KEY/);
  const nosock = run(path.join(BINDIR, 'scholarship-api'), [], { input: '' });
  assert.equal(nosock.status, 1);
  assert.match(nosock.stderr, /spawn-fcgi/);
});
