import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { FakeModelServer, startFakeModelServer } from '../support/fake-model-server';
import { Browser, launchChromium } from './support/chromium';
import { ROOT, RunningEmbedded, freshDataDir, killStrays, removeDataDir, startEmbedded, tail, waitNoPostgres } from './support/embedded-process';

// The e2e project's testTimeout is not applied per project by jest 30; set it here.
jest.setTimeout(180_000);

/** Where the screenshot goes for a person to look at; never committed. */
const SCREENSHOT = process.env.SPECTEST_SCREENSHOT ?? join(tmpdir(), 'spectest-embedded-web.png');

/**
 * The web page of the embedded default in a real browser: upload a file, watch the task live,
 * download the ZIP; reload mid-task and resume; fall back to SSE without a socket. The page follows
 * tasks with the SDK's browser build. Dev mode, so the page sends no token. The model is the fake
 * server, slow enough that an AI task is still running when the page reloads.
 */
describe('embedded mode web page (headless Chromium)', () => {
  let dataDir: string;
  let app: RunningEmbedded | undefined;
  let browser: Browser | undefined;
  let model: FakeModelServer | undefined;

  beforeAll(async () => {
    dataDir = freshDataDir();
    // Browser first: a missing Chromium fails in a second, not after a database start.
    browser = await launchChromium();
    model = await startFakeModelServer({ tokensPerSecond: 80 });
    app = await startEmbedded({ dataDir, env: { OLLAMA_URL: model.url, AI_CONCURRENCY: '1' } });
  });

  afterAll(async () => {
    await browser?.close();
    await model?.close();
    if (app) {
      const stopped = await app.stop('SIGTERM').catch(() => undefined);
      if (stopped && stopped.code !== 0) console.warn(`embedded exit ${stopped.code ?? stopped.signal}:\n${tail(app.logs)}`);
    }
    killStrays(app, dataDir);
    await waitNoPostgres(dataDir, 5_000);
    removeDataDir(dataDir);
  });

  /** A page that records its errors, the requests it made, its failed responses and its WebSockets, on the embedded app. */
  const openPage = async () => {
    const page: Page = await browser!.context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error') problems.push(`console.error: ${msg.text()}`);
    });
    const requests: string[] = [];
    page.on('request', (req) => requests.push(`${req.method()} ${new URL(req.url()).pathname}${new URL(req.url()).search}`));
    const failed: string[] = [];
    page.on('response', (r) => {
      if (r.status() >= 400) failed.push(`${r.status()} ${r.request().method()} ${new URL(r.url()).pathname}`);
    });
    const sockets: string[] = [];
    page.on('websocket', (ws) => sockets.push(ws.url()));
    return { page, problems, requests, failed, sockets, base: `http://127.0.0.1:${app!.port}` };
  };

  it('uploads petstore.yaml, follows the task live over Socket.IO and offers the ZIP', async () => {
    const { page, problems: pageErrors, requests, failed, sockets, base } = await openPage();
    await page.goto(`${base}/`, { waitUntil: 'load' });
    expect(await page.title()).toContain('spectest');
    // The page runs on the SDK's browser build, served next to it.
    expect(await page.evaluate(() => typeof (window as unknown as { SpectestClient?: { watchTask?: unknown } }).SpectestClient?.watchTask)).toBe('function');
    expect(requests).toContain('GET /sdk/spectest-client.js');

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
    expect(requests.filter((r) => r.includes('/events') || r.includes('socket.io.js'))).toEqual([]);

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

  const logSeqs = (page: Page) => page.$$eval('#log li', (lis) => lis.map((li) => Number(/^#(\d+)/.exec(li.textContent ?? '')?.[1])));
  const completed = (page: Page, timeout = 90_000) =>
    page.waitForFunction(() => document.querySelector('#task-panel')?.getAttribute('data-status') === 'completed' && document.querySelectorAll('#stages li').length === 4, null, { timeout });

  it('resumes a running task after a reload through the SDK: the whole log from #1 again, live on the socket, to the end', async () => {
    const { page, problems, requests, sockets, base } = await openPage();
    await page.goto(`${base}/`, { waitUntil: 'load' });
    await page.setInputFiles('#spec-file', join(ROOT, 'tests', 'fixtures', 'petstore.yaml'));
    await page.selectOption('#ai-provider', 'ollama');
    await page.click('#submit-button');
    // Mid-enhancement: the model streams slowly, so the task is far from done.
    await page.waitForFunction(() => [...document.querySelectorAll('#log li')].some((li) => li.textContent?.includes('Receiving AI output')), null, { timeout: 60_000 });
    const taskId = (await page.textContent('#task-id'))!.trim();
    const before = await logSeqs(page);
    expect(await page.getAttribute('#task-panel', 'data-status')).toBe('running');
    expect(page.url()).toBe(`${base}/#task=${taskId}`);

    const socketsBefore = sockets.length;
    requests.length = 0;
    await page.reload({ waitUntil: 'load' });
    // The hash brings the task back; the SDK replays it from seq 1 and goes on live over a new socket.
    await page.waitForFunction(() => document.querySelector('#transport')?.textContent === 'live (Socket.IO)', null, { timeout: 30_000 });
    expect(await page.getAttribute('#task-panel', 'data-status')).toBe('running');
    await completed(page);
    const after = await logSeqs(page);
    expect(after).toEqual(Array.from({ length: after.length }, (_, i) => i + 1));
    expect(after.length).toBeGreaterThan(before.length);
    expect(after.slice(0, before.length)).toEqual(before);
    expect((await page.textContent('#task-id'))!.trim()).toBe(taskId);
    expect(await page.textContent('#task-status')).toBe('Completed');
    expect(sockets.length).toBeGreaterThan(socketsBefore);
    expect(requests).toContain('GET /sdk/spectest-client.js');
    expect(requests).toContain(`GET /v1/tasks/${taskId}`);
    expect(requests.filter((r) => r.includes('/events'))).toEqual([]);
    expect(problems).toEqual([]);
  });

  it('falls back to Server-Sent Events through the SDK when no socket gets through, and still shows every event', async () => {
    const { page, problems, requests, base } = await openPage();
    // Every WebSocket of the page is refused, as behind a proxy that does not pass them.
    await page.routeWebSocket(/\/socket\.io\//, (ws) => ws.close({ code: 1011, reason: 'no websockets here' }));
    await page.goto(`${base}/`, { waitUntil: 'load' });
    await page.setInputFiles('#spec-file', join(ROOT, 'tests', 'fixtures', 'bookstore.openapi31.yaml'));
    await page.click('#submit-button');
    await completed(page, 60_000);
    const taskId = (await page.textContent('#task-id'))!.trim();
    const seqs = await logSeqs(page);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
    expect(seqs.length).toBeGreaterThanOrEqual(5);
    // The SDK's SSE transport: fetch with Last-Event-ID in a header, never a token in the URL.
    const streams = requests.filter((r) => r.startsWith(`GET /v1/tasks/${taskId}/events`));
    expect(streams.length).toBeGreaterThanOrEqual(1);
    expect(streams.filter((r) => r.includes('access_token'))).toEqual([]);
    expect(problems.filter((p) => !/WebSocket/i.test(p))).toEqual([]);
  });
});
