import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import type { NestExpressApplication } from '@nestjs/platform-express';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import type { DataSource } from 'typeorm';

import { dataSourceOf, type TestUser } from '../factories/identity.factory.js';
import { createTestApp } from '../utils/test-app.js';
import { createTestDatabase, type TestDatabase } from '../utils/test-database.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Every screen of a story, for a person to look at after the run (gitignored). */
export const SCREENSHOTS = resolve(process.cwd(), 'test/browser/screenshots');

export function pdfText(file: string): string {
  const result = spawnSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`pdftotext failed: ${result.stderr} (apt-get install poppler-utils)`);
  return result.stdout;
}

/**
 * The service on a fresh PostgreSQL database and Debian's Chromium driving it (ADR 0070): what a
 * browser story needs, with the same guards as the first story — no request leaves the service's
 * origin, no script or CSP error reaches the console.
 */
export class BrowserHarness {
  database!: TestDatabase;
  app!: NestExpressApplication;
  db!: DataSource;
  baseUrl = '';
  context!: BrowserContext;
  page!: Page;
  readonly problems: string[] = [];
  private profile = '';
  private downloads = '';
  private shot = 0;

  /** `prefix` keeps this story's screenshots apart from the other stories'. */
  constructor(private readonly prefix: string) {}

  /** `env`: configuration on top of the test defaults (test/utils/test-app.ts). */
  async start(env: Record<string, string> = {}): Promise<void> {
    if (!existsSync(CHROMIUM))
      throw new Error(`Chromium is needed at ${CHROMIUM}: apt-get install chromium (or set CHROMIUM_PATH)`);
    if (!existsSync(resolve(process.cwd(), 'dist/web/index.html')))
      throw new Error('the web app is not built: run `npm run build` (npm test does)');
    mkdirSync(SCREENSHOTS, { recursive: true });
    this.database = await createTestDatabase();
    this.app = await createTestApp({ databaseUrl: this.database.appUrl, env });
    await this.app.listen(0, '127.0.0.1');
    this.baseUrl = `http://127.0.0.1:${(this.app.getHttpServer().address() as { port: number }).port}`;
    this.db = dataSourceOf(this.app);

    this.profile = mkdtempSync(join(tmpdir(), 'custos-chromium-'));
    this.downloads = mkdtempSync(join(tmpdir(), 'custos-downloads-'));
    this.context = await chromium.launchPersistentContext(this.profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
      viewport: { width: 1280, height: 800 },
      acceptDownloads: true,
      locale: 'en-GB',
      timezoneId: 'Europe/Madrid',
    });
    const page = this.context.pages()[0] ?? (await this.context.newPage());
    this.page = page;
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (error) => this.problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      // A refused API call logs "Failed to load resource" (the stories cause some on purpose); a CSP violation or a script error does not belong.
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource'))
        this.problems.push(`console: ${message.text()}`);
    });
    page.on('request', (sent) => {
      if (!sent.url().startsWith(this.baseUrl) && !sent.url().startsWith('blob:') && !sent.url().startsWith('data:'))
        this.problems.push(`external fetch: ${sent.url()}`);
    });
  }

  async stop(): Promise<void> {
    await this.context?.close();
    await this.app?.close();
    await this.database?.drop();
    for (const dir of [this.profile, this.downloads]) if (dir) rmSync(dir, { recursive: true, force: true });
  }

  async screenshot(name: string): Promise<void> {
    this.shot += 1;
    await this.page.screenshot({
      path: join(SCREENSHOTS, `${this.prefix}${String(this.shot).padStart(2, '0')}-${name}.png`),
      fullPage: true,
    });
  }

  async signIn(user: TestUser, password = user.password): Promise<void> {
    const { page } = this;
    await page.goto(`${this.baseUrl}/`);
    // An earlier failure must not leave someone signed in: sign them out first.
    const signInButton = page.getByRole('button', { name: 'Sign in' });
    const logOut = page.getByRole('button', { name: 'Log out' });
    await signInButton.or(logOut).first().waitFor();
    if (await logOut.isVisible()) {
      await logOut.click();
      await signInButton.waitFor();
    }
    await page.getByLabel('Username').fill(user.username);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  async signOut(): Promise<void> {
    await this.page.getByRole('button', { name: 'Log out' }).click();
    await this.page.getByRole('button', { name: 'Sign in' }).waitFor();
  }

  async download(click: () => Promise<void>): Promise<string> {
    const [file] = await Promise.all([this.page.waitForEvent('download'), click()]);
    const path = join(this.downloads, file.suggestedFilename());
    await file.saveAs(path);
    return path;
  }

  /** The alert under the labelled field (the API's message, placed at the field at fault). */
  async fieldAlert(label: string | RegExp, within = this.page.locator('main')): Promise<string> {
    const field = within.locator('.field', { has: this.page.getByLabel(label, { exact: typeof label === 'string' }) });
    await field.getByRole('alert').waitFor();
    return (await field.getByRole('alert').textContent()) ?? '';
  }
}
