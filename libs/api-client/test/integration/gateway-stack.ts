import { startCloudStack, type FakeGemini, type TestSmtpServer } from '@vigint/testing';

/*
 * api-proxy and the worker as child processes (the client is a lib: it never imports apps), on a fresh database and
 * Redis prefix, with an SMTP server and the fake Gemini server. Enough to check every client method on the wire.
 */

export interface GatewayStack {
  url: string;
  apiKey: string;
  smtp: TestSmtpServer;
  gemini: FakeGemini;
  logs(): string;
  close(): Promise<void>;
}

export async function startGatewayStack(label: string): Promise<GatewayStack> {
  const stack = await startCloudStack({ label });
  try {
    const { apiKey } = await stack.createClient('Client test', 'owner@client.test');
    return { url: stack.url, apiKey, smtp: stack.smtp, gemini: stack.gemini, logs: stack.logs, close: stack.close };
  } catch (err) {
    await stack.close();
    throw err;
  }
}
