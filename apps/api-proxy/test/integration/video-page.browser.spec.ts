/// <reference lib="dom" />
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { SECRET, startGateway, type Harness } from './gateway.harness';
import { mp4 } from './media.fixtures';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
let h: Harness;
let browser: Browser;
let base: string;

beforeAll(async () => {
  h = await startGateway();
  await h.app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await h?.close();
});

describe('private video link in a browser', () => {
  it('POST /api/v1/videos/upload → link → page with a playable <video>; a bad token is 404', async () => {
    const video = await mp4(3, '320x240');
    const form = new FormData();
    form.append('video', new Blob([new Uint8Array(video)], { type: 'video/mp4' }), 'porch.mp4');
    const up = await fetch(`${base}/api/v1/videos/upload`, {
      method: 'POST',
      body: form,
      headers: { authorization: `Bearer ${SECRET}` },
    });
    expect(up.status).toBe(200);
    const { video_url, video_id, expiration_time } = (await up.json()) as {
      video_url: string;
      video_id: string;
      expiration_time: string;
    };
    expect(new Date(expiration_time).getTime() - Date.now()).toBeGreaterThan(47 * 3600_000);
    const url = new URL(video_url);
    expect(url.pathname).toBe(`/video/${video_id}`);

    const page = await browser.newPage();
    const res = await page.goto(`${base}${url.pathname}${url.search}`);
    expect(res?.status()).toBe(200);
    await page.waitForFunction(
      () => {
        const v = document.querySelector('video');
        return !!v && (v.readyState >= 2 || v.error !== null);
      },
      undefined,
      { timeout: 20_000 },
    );
    const state = await page.evaluate(async () => {
      const v = document.querySelector('video')!;
      v.muted = true;
      await v.play().catch(() => undefined);
      await new Promise((r) => setTimeout(r, 700));
      return {
        error: v.error?.code ?? null,
        duration: v.duration,
        width: v.videoWidth,
        time: v.currentTime,
        when: document.querySelector('#occurred')?.textContent,
      };
    });
    expect(state.error).toBeNull();
    expect(state.duration).toBeCloseTo(3, 0);
    expect(state.width).toBe(320);
    expect(state.time).toBeGreaterThan(0);
    expect(state.when).toMatch(/\d{4}-\d\d-\d\d/);

    const bad = await page.goto(`${base}${url.pathname}?token=123.${'x'.repeat(43)}`);
    expect(bad?.status()).toBe(404);
    await page.close();
    expect(h.logs.join('')).not.toContain(url.searchParams.get('token')!);
  }, 60_000);
});
