import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { demoHumanPassword, seedDemoHumans } from '../../api/auth/demo-humans.ts';
import { createTestApi, type TestApi, type TestApiOptions } from '../support/api-harness.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** Debian's Chromium: the tests never download a browser. */
export const chromiumPath = '/usr/bin/chromium';

/** The viewport of the README screenshots, and the phone viewport of the chat screenshot. */
export const desktopViewport = { width: 1280, height: 800 };
export const phoneViewport = { width: 390, height: 844 };

/** How long a browser test waits for an agent turn (the first one loads the local model). */
export const turnTimeoutMs = 45_000;

/** The embedded demo's humans (api/auth/demo-humans.ts). */
export const demoAgent = { email: 'agent@lumen.example', password: demoHumanPassword };
export const demoAdmin = { email: 'admin@lumen.example', password: demoHumanPassword };

const lockDir = join(root, 'dist/.ui-build-lock');

/**
 * Builds the web UI when `dist/ui` is missing or older than `ui/` (the `prestart` script, so the
 * check is the same), under a lock so two test files never build at once. Cheap when fresh.
 */
export async function ensureUiBuilt(): Promise<void> {
  mkdirSync(join(root, 'dist'), { recursive: true });
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      mkdirSync(lockDir);
      break;
    } catch {
      // Another file builds: wait for it; a lock left by a killed run expires after 3 minutes.
      if (Date.now() - statSync(lockDir, { throwIfNoEntry: false })!.mtimeMs > 180_000)
        rmSync(lockDir, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`Timed out waiting for the UI build lock (${lockDir})`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  try {
    // vitest sets NODE_ENV=test, which vite would inherit: React's development JSX runtime then meets
    // the widget's production `define` and the widget script throws. Build as `npm start` does.
    const tsx = join(root, 'node_modules/.bin/tsx');
    const result = spawnSync('/usr/bin/env', ['NODE_ENV=production', tsx, 'app/cli/build-ui-if-stale.ts'], {
      cwd: root,
      encoding: 'utf8',
    });
    if (result.status !== 0) throw new Error(`Building the UI failed:\n${result.stdout}\n${result.stderr}`);
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}

/** Launches Debian's Chromium headless. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    args: [
      '--headless=new',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** A test API on a seeded test database with the demo humans, served on a free local port. */
export interface BrowserTestApi extends TestApi {
  /** `http://127.0.0.1:<port>` */
  baseUrl: string;
}

/** Builds the UI if needed, starts a seeded test API with the demo humans and warms the local model. */
export async function startBrowserTestApi(options: TestApiOptions = {}): Promise<BrowserTestApi> {
  await ensureUiBuilt();
  const api = await createTestApi(options);
  await seedDemoHumans(api.database.pool);
  await api.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = api.app.server.address() as AddressInfo;
  // The first turn would otherwise load the intent model (~15 s) while the browser waits.
  await api.context.switchboard.classifier?.warm();
  return { ...api, baseUrl: `http://127.0.0.1:${port}` };
}

/** A fresh browser context (own cookies and sessionStorage) at the README's desktop size. */
export function newContext(
  browser: Browser,
  baseUrl: string,
  viewport = desktopViewport,
): Promise<BrowserContext> {
  return browser.newContext({ baseURL: baseUrl, viewport, reducedMotion: 'reduce' });
}

const screenshotsDir = join(root, 'artifacts/screenshots');
const readmeScreenshotsDir = join(root, 'docs/screenshots');

/** Removes a test file's screenshots of an earlier run, so every artifact is from this one. */
export function clearScreenshots(test: string): void {
  mkdirSync(screenshotsDir, { recursive: true });
  for (const file of readdirSync(screenshotsDir))
    if (file.startsWith(`${test}-`)) rmSync(join(screenshotsDir, file), { force: true });
}

/**
 * Saves a full-page screenshot of `page` as a test artifact (`artifacts/screenshots/<test>-<name>.png`)
 * and, with `readme` and only under `npm run docs:screenshots` (UPDATE_README_SCREENSHOTS=1), the
 * viewport as the README's screenshot (`docs/screenshots/<readme>.png`): a test run never rewrites
 * tracked files.
 */
export async function screenshot(page: Page, test: string, name: string, readme?: string): Promise<void> {
  await page.screenshot({ path: join(screenshotsDir, `${test}-${name}.png`), fullPage: true });
  if (readme && process.env.UPDATE_README_SCREENSHOTS === '1')
    await page.screenshot({ path: join(readmeScreenshotsDir, `${readme}.png`) });
}

/** Signs in on the console or admin login form, as a person would. */
export async function signInAsStaff(page: Page, who: { email: string; password: string }): Promise<void> {
  await page.getByLabel('Email').fill(who.email);
  await page.getByLabel('Password').fill(who.password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

/** On the demo page `/`: signs in as a demo customer through the page's own control. */
export async function signInAsDemoCustomer(page: Page, email: string): Promise<void> {
  await page.getByLabel('Demo customer').selectOption(email);
  await page.getByRole('button', { name: 'Sign in as a demo customer' }).click();
  await page
    .getByRole('status')
    .filter({ hasText: `Signed in as ${email}` })
    .waitFor();
  // The chat restarts as the signed-in customer.
  await page
    .locator('.chat-identity')
    .getByText(/^Signed in as/)
    .waitFor();
}

/** Types a message into the customer chat and sends it with the Send button. */
export async function sendChatMessage(page: Page, text: string): Promise<void> {
  await page.getByLabel('Your message').fill(text);
  await page.getByRole('button', { name: 'Send', exact: true }).click();
}

/** The chat's message list. */
export const conversation = (page: Page) => page.getByRole('list', { name: 'Conversation' });

/**
 * After a failed test, saves a screenshot of every open page of `browser` as an artifact
 * (`artifacts/screenshots/<test>-failure-<n>.png`): what the browser showed when it failed.
 */
export async function screenshotPagesOnFailure(
  browser: Browser | undefined,
  test: string,
  failed: boolean,
): Promise<void> {
  if (!browser || !failed) return;
  const pages = browser.contexts().flatMap((context) => context.pages());
  await Promise.all(
    pages.map((page, index) =>
      page
        .screenshot({
          path: join(root, 'artifacts/screenshots', `${test}-failure-${index + 1}.png`),
          fullPage: true,
        })
        .catch(() => undefined),
    ),
  );
}
