import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMailer } from './create-mailer';
import { EmlOutboxMailer } from './eml-outbox.mailer';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vigint-outbox-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('EmlOutboxMailer', () => {
  it('writes a parseable .eml with the clip attached from a file and the inline thumbnail', async () => {
    const clip = join(dir, 'clip.mp4');
    const clipBytes = Buffer.alloc(50_000, 3);
    await writeFile(clip, clipBytes);
    const outbox = join(dir, 'outbox');
    const mailer = new EmlOutboxMailer(outbox);
    const result = await mailer.send({
      from: 'alerts@vigint.test',
      to: ['owner@example.test'],
      subject: 'Intrusion — Garage',
      text: 'text',
      html: '<img src="cid:thumb">',
      attachments: [
        { filename: 'thumb.jpg', content: Buffer.from('thumb'), cid: 'thumb', contentType: 'image/jpeg' },
        { filename: 'clip.mp4', path: clip, contentType: 'video/mp4' },
      ],
    });
    await mailer.close();
    expect(result.messageId.startsWith(outbox)).toBe(true);
    expect(await readdir(outbox)).toEqual([result.messageId.slice(outbox.length + 1)]);
    const parsed = await simpleParser(await readFile(result.messageId));
    expect(parsed.subject).toBe('Intrusion — Garage');
    const attached = parsed.attachments.find((a) => a.filename === 'clip.mp4')!;
    expect(attached.contentType).toBe('video/mp4');
    expect(attached.content.equals(clipBytes)).toBe(true);
    expect(parsed.attachments.find((a) => a.cid === 'thumb')).toBeDefined();
  });

  it('is what createMailer picks without EMAIL_SMTP_SERVER', () => {
    const mailer = createMailer({ EMAIL_OUTBOX_DIR: dir });
    expect(mailer.kind).toBe('outbox');
    expect((mailer as EmlOutboxMailer).dir).toBe(dir);
  });
});
