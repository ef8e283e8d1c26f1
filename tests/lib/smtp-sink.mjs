// smtp-sink.mjs -- an SMTP server for tests (npm smtp-server) that keeps
// every message it accepts, parsed with npm mailparser. The test process
// starts and stops it itself, so a test can take the relay away (close)
// and bring it back on the same port, or refuse chosen recipients.
//
//   const sink = await startSink({ port, reject: (rcpt) => rcpt.startsWith('gone@') ? 550 : null });
//   await sink.waitFor((msgs) => msgs.length >= 3, 5000);
//   sink.messages[0] // {envelope: {from, to[]}, headers (Map), subject, text, html,
//                    //  messageId, date, raw, at}
//   await sink.close();
//
// Options: port (required), host ('127.0.0.1'), reject(rcpt) -> an SMTP
// code (4xx/5xx) or null, auth {user, pass} (AUTH PLAIN/LOGIN required and
// checked), parse (true; false keeps only envelope, raw and arrival time,
// for the benchmark).
import { SMTPServer } from 'smtp-server';
import { simpleParser } from 'mailparser';

const REASONS = {
  421: '4.3.2 service not available, closing',
  450: '4.2.1 mailbox busy, try again later',
  451: '4.3.0 local error, try again later',
  452: '4.2.2 mailbox full',
  550: '5.1.1 mailbox unavailable',
  551: '5.1.6 user not local',
  552: '5.2.2 mailbox full',
  553: '5.1.3 mailbox name not allowed',
  554: '5.7.1 transaction failed',
};

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function startSink({ port, host = '127.0.0.1', reject = null, auth = null, parse = true } = {}) {
  if (!port) throw new Error('startSink: a port is required');
  const messages = [];  // parsed (or raw) messages, in arrival order
  const refused = [];   // {to, code, at}: every RCPT answered with an error
  const logins = [];    // user names that authenticated
  let received = 0;     // DATA accepted (parsing may still run)
  let connections = 0;  // TCP connections accepted
  const pending = new Set();
  const sockets = new Set();

  const server = new SMTPServer({
    secure: false,
    disabledCommands: auth ? ['STARTTLS'] : ['STARTTLS', 'AUTH'],
    authOptional: !auth,
    allowInsecureAuth: true,
    hideENHANCEDSTATUSCODES: true,
    logger: false,
    size: 0,
    socketTimeout: 30000,
    onConnect(session, cb) { connections++; cb(); },
    onAuth(a, session, cb) {
      if (auth && a.username === auth.user && a.password === auth.pass) {
        logins.push(a.username);
        return cb(null, { user: a.username });
      }
      const err = new Error('5.7.8 authentication credentials invalid');
      err.responseCode = 535;
      return cb(err);
    },
    onRcptTo(address, session, cb) {
      const code = reject ? reject(address.address) : null;
      if (!code) return cb();
      refused.push({ to: address.address, code, at: Date.now() });
      const err = new Error(REASONS[code] || `${String(code)[0]}.0.0 refused`);
      err.responseCode = code;
      return cb(err);
    },
    onData(stream, session, cb) {
      const chunks = [];
      stream.on('data', (c) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks);
        const at = Date.now();
        const envelope = {
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
        };
        received++;
        if (!parse) {
          messages.push({ envelope, raw: raw.toString('latin1'), at });
          return cb();
        }
        const p = simpleParser(raw, { skipHtmlToText: true, skipTextToHtml: true, skipTextLinks: true })
          .then((m) => {
            messages.push({
              envelope, headers: m.headers, subject: m.subject, text: m.text, html: m.html,
              messageId: m.messageId, date: m.date, raw: raw.toString('utf8'), at,
            });
          })
          .finally(() => pending.delete(p));
        pending.add(p);
        cb();
      });
    },
  });
  server.server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('error', () => {}); // a client that hangs up mid-command

  await new Promise((resolve, reject_) => {
    server.server.once('error', reject_);
    server.listen(port, host, () => { server.server.off('error', reject_); resolve(); });
  });

  return {
    port,
    messages,
    refused,
    logins,
    connections: () => connections,
    /** Messages accepted so far (DATA done), parsed or not yet. */
    count: () => received,
    /** Wait until pred(messages) holds (parsing done); resolves to it, or false after ms. */
    async waitFor(pred, ms = 10000) {
      const end = Date.now() + ms;
      for (;;) {
        await Promise.all([...pending]);
        const v = pred(messages);
        if (v) return v;
        if (Date.now() > end) return false;
        await sleep(20);
      }
    },
    /** Stop listening and drop every connection at once (the relay "goes down"). */
    async close() {
      const closed = new Promise((resolve) => server.server.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await closed;
      await Promise.all([...pending]);
    },
  };
}
