import { connect } from 'node:net';

/**
 * Sends raw HTTP to 127.0.0.1:`port` (a head, then a body written by `body`) and collects the reply until
 * the server closes the connection. `write` returns false once the socket is closed or full; `isClosed`
 * turns true as soon as any reply byte arrived, so a body writer can stop; `drained` resolves when the
 * socket can take more (or closed), so a writer only sends what the server actually reads.
 */
export function rawHttp(
  port: number,
  head: string,
  body: (write: (b: Buffer) => boolean, isClosed: () => boolean, drained: () => Promise<void>) => Promise<number>,
): Promise<{ reply: string; sent: number }> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    let reply = '';
    let sent = 0;
    let closed = false;
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error('no reply within 20 s'));
    }, 20_000);
    s.on('data', (c) => (reply += c.toString()));
    s.on('error', () => undefined);
    s.on('close', () => {
      closed = true;
      clearTimeout(timer);
      resolve({ reply, sent });
    });
    s.once('connect', () => {
      s.write(head);
      body(
        (b) => !closed && !s.destroyed && s.write(b),
        () => closed || s.destroyed || reply.length > 0,
        () =>
          new Promise<void>((r) => {
            if (closed || s.destroyed || !s.writableNeedDrain) return r();
            const done = () => {
              s.off('drain', done);
              s.off('close', done);
              r();
            };
            s.once('drain', done);
            s.once('close', done);
          }),
      )
        .then((n) => (sent = n))
        .catch(reject);
    });
  });
}
