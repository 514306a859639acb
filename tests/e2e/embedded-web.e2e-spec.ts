import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { Browser, launchChromium } from './support/chromium';
import { ROOT, RunningEmbedded, freshDataDir, killStrays, removeDataDir, startEmbedded, tail, waitNoPostgres } from './support/embedded-process';

// The e2e project's testTimeout is not applied per project by jest 30; set it here.
jest.setTimeout(180_000);

/** Where the screenshot goes for a person to look at; never committed. */
const SCREENSHOT = process.env.SPECTEST_SCREENSHOT ?? join(tmpdir(), 'spectest-embedded-web.png');

/**
 * The web page of the embedded default in a real browser: upload a file, watch the task live,
 * download the ZIP. Dev mode, so the page sends no token.
 */
describe('embedded mode web page (headless Chromium)', () => {
  let dataDir: string;
  let app: RunningEmbedded | undefined;
  let browser: Browser | undefined;

  beforeAll(async () => {
    dataDir = freshDataDir();
    // Browser first: a missing Chromium fails in a second, not after a database start.
    browser = await launchChromium();
    app = await startEmbedded({ dataDir });
  });

  afterAll(async () => {
    await browser?.close();
    if (app) {
      const stopped = await app.stop('SIGTERM').catch(() => undefined);
      if (stopped && stopped.code !== 0) console.warn(`embedded exit ${stopped.code ?? stopped.signal}:\n${tail(app.logs)}`);
    }
    killStrays(app, dataDir);
    await waitNoPostgres(dataDir, 5_000);
    removeDataDir(dataDir);
  });

  it('uploads petstore.yaml, follows the task live over Socket.IO and offers the ZIP', async () => {
    const page: Page = await browser!.context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (err) => pageErrors.push(`pageerror: ${err.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error') pageErrors.push(`console.error: ${msg.text()}`);
    });
    const requests: string[] = [];
    page.on('request', (req) => requests.push(`${req.method()} ${new URL(req.url()).pathname}${new URL(req.url()).search}`));
    const failed: string[] = [];
    page.on('response', (r) => {
      if (r.status() >= 400) failed.push(`${r.status()} ${r.request().method()} ${new URL(r.url()).pathname}`);
    });
    const sockets: string[] = [];
    page.on('websocket', (ws) => sockets.push(ws.url()));

    const base = `http://127.0.0.1:${app!.port}`;
    await page.goto(`${base}/`, { waitUntil: 'load' });
    expect(await page.title()).toContain('spectest');
    expect(await page.evaluate(() => typeof (window as unknown as { io?: unknown }).io)).toBe('function');

    await page.setInputFiles('#spec-file', join(ROOT, 'tests', 'fixtures', 'petstore.yaml'));
    const t0 = Date.now();
    await page.click('#submit-button');

    // The completed state: the outcome box with the link, rendered from the live stream.
    const link = page.locator('#outcome a.download');
    await link.waitFor({ state: 'visible', timeout: 60_000 });
    // finish() fetches the final snapshot after the terminal event; let it land before reading the view.
    await page.waitForFunction(() => document.querySelectorAll('#stages li').length === 4 && document.querySelector('#task-panel')?.getAttribute('data-status') === 'completed');
    console.log(`web: submit to completed view in ${Date.now() - t0} ms`);
    expect(await page.locator('#form-error').isHidden()).toBe(true);
    expect(await page.locator('#watch-error').isHidden()).toBe(true);

    expect(await page.textContent('#task-status')).toBe('Completed');
    expect(await page.getAttribute('#progress-bar', 'aria-valuenow')).toBe('100');
    expect(await page.textContent('#progress-text')).toBe('100%');
    expect(await page.evaluate(() => (document.getElementById('progress-fill') as HTMLElement).style.width)).toBe('100%');

    const stages = await page.$$eval('#stages li', (lis) =>
      lis.map((li) => ({ name: li.querySelector('.stage-name')?.textContent, status: li.querySelector('.stage-status')?.textContent, cls: li.className })),
    );
    expect(stages.map((s) => s.name)).toEqual(['Parsing', 'Foundation cases', 'AI enhancement', 'Packaging']);
    expect(stages.map((s) => s.status!.split(' · ')[0])).toEqual(['done', 'done', 'skipped', 'done']);
    expect(stages[2].cls).toContain('stage-skipped');

    // The log: every event once, in seq order from #1, ending with the completion message.
    const log = await page.$$eval('#log li', (lis) => lis.map((li) => li.textContent ?? ''));
    const seqs = log.map((l) => Number(/^#(\d+)/.exec(l)?.[1]));
    expect(log.length).toBeGreaterThanOrEqual(5);
    expect(seqs).toEqual(Array.from({ length: log.length }, (_, i) => i + 1));
    expect(log.some((l) => l.includes('Parsing OpenAPI specification...'))).toBe(true);
    expect(log.some((l) => l.includes('AI enhancement skipped'))).toBe(true);
    expect(log[log.length - 1]).toMatch(/Done: \d+ test cases ready to download/);

    // The page followed the task over Socket.IO (the embedded app serves it), not the SSE fallback.
    expect(sockets.some((u) => u.includes('/socket.io/'))).toBe(true);
    expect(requests.filter((r) => r.includes('/events'))).toEqual([]);

    // The link: the href is the artifact of this very task, and downloads a ZIP.
    const taskId = (await page.textContent('#task-id'))!.trim();
    const href = await link.evaluate((a) => (a as HTMLAnchorElement).href);
    expect(href).toBe(`${base}/v1/tasks/${taskId}/artifact`);
    const res = await fetch(href);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/zip/);
    const zip = Buffer.from(await res.arrayBuffer());
    expect(zip.subarray(0, 4)).toEqual(Buffer.from('PK\x03\x04', 'latin1'));

    // Clicking it downloads the same bytes in the browser (no token in dev mode: the plain link works).
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    expect(download.suggestedFilename()).toMatch(/\.zip$/);
    const saved = await download.path();
    expect(readFileSync(saved!).equals(zip)).toBe(true);

    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    console.log(`web: screenshot at ${SCREENSHOT}`);
    expect(failed).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
