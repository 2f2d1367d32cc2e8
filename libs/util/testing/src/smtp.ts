import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/*
 * A real SMTP server (npm smtp-server) for tests, on 127.0.0.1 and a free port. Every message it accepts
 * is parsed with mailparser. It can go down (close) and come back on the same port, to test delivery retries.
 */

export interface ReceivedMail {
  envelope: { from: string | undefined; to: string[] };
  parsed: ParsedMail;
  raw: Buffer;
}

export interface TestSmtpServer {
  readonly host: string;
  readonly port: number;
  readonly messages: ReceivedMail[];
  readonly isUp: boolean;
  /** Resolves once at least `count` messages arrived; rejects after `timeoutMs`. */
  waitForMessages(count: number, timeoutMs?: number): Promise<ReceivedMail[]>;
  /** Stops listening and drops open connections; the port stays reserved for `up()`. */
  down(): Promise<void>;
  up(): Promise<void>;
  stop(): Promise<void>;
}

export interface TestSmtpOptions {
  /** When given, AUTH is required and checked against these credentials. */
  auth?: { user: string; pass: string };
}

export async function startSmtpServer(options: TestSmtpOptions = {}): Promise<TestSmtpServer> {
  const host = '127.0.0.1';
  const messages: ReceivedMail[] = [];
  const waiters = new Set<() => void>();
  let server: SMTPServer | undefined;
  let port = 0;

  const create = () =>
    new SMTPServer({
      secure: false,
      logger: false,
      // No TLS in tests: plain SMTP on loopback, with AUTH allowed over it when configured.
      disabledCommands: options.auth ? ['STARTTLS'] : ['STARTTLS', 'AUTH'],
      authOptional: !options.auth,
      allowInsecureAuth: true,
      closeTimeout: 50,
      onAuth(auth, _session, cb) {
        if (options.auth && auth.username === options.auth.user && auth.password === options.auth.pass) {
          cb(null, { user: auth.username });
        } else {
          cb(new Error('Invalid username or password'));
        }
      },
      onData(stream, session, cb) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('error', cb);
        stream.on('end', () => {
          const raw = Buffer.concat(chunks);
          // keepCidLinks: tests check that the HTML references the inline image by cid.
          simpleParser(raw, { keepCidLinks: true })
            .then((parsed) => {
              const from = session.envelope.mailFrom;
              messages.push({
                envelope: { from: from ? from.address : undefined, to: session.envelope.rcptTo.map((r) => r.address) },
                parsed,
                raw,
              });
              for (const w of waiters) w();
              cb();
            })
            .catch((err: Error) => cb(err));
        });
      },
    });

  const listen = async () => {
    const s = create();
    await new Promise<void>((resolve, reject) => {
      s.server.once('error', reject);
      s.listen(port, host, () => resolve());
    });
    port = (s.server.address() as AddressInfo).port;
    // A client gone mid-session (a worker SIGKILLed while sending) resets its socket: a real server logs that and
    // serves the others; without a listener the 'error' event would throw in the test process.
    s.on('error', () => undefined);
    server = s;
  };

  const close = async () => {
    const s = server;
    server = undefined;
    if (!s) return;
    await new Promise<void>((resolve) => s.close(() => resolve()));
  };

  await listen();

  return {
    host,
    get port() {
      return port;
    },
    messages,
    get isUp() {
      return server !== undefined;
    },
    waitForMessages(count, timeoutMs = 10_000) {
      if (messages.length >= count) return Promise.resolve(messages.slice());
      return new Promise((resolve, reject) => {
        const check = () => {
          if (messages.length >= count) {
            clearTimeout(timer);
            waiters.delete(check);
            resolve(messages.slice());
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`expected ${count} e-mails within ${timeoutMs} ms, got ${messages.length}`));
        }, timeoutMs);
        waiters.add(check);
      });
    },
    down: close,
    up: async () => {
      if (!server) await listen();
    },
    stop: close,
  };
}
