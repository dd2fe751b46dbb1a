import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type FocusedElement, focusedElement, hasAccessibleName, measureContrast } from './accessibility.ts';
import {
  type BrowserTestApi,
  clearScreenshots,
  launchBrowser,
  newContext,
  screenshot,
  screenshotPagesOnFailure,
  startBrowserTestApi,
  turnTimeoutMs,
} from './support.ts';

/** A company's page on another origin that embeds the widget with one script tag (ui/README.md). */
function hostPage(apiBase: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Acme Analytics</title></head>
<body style="font-family: sans-serif; margin: 2rem">
<h1>Acme Analytics</h1>
<p>Our product pages. <a href="/pricing">Pricing</a></p>
<script src="${apiBase}/widget.js"></script>
</body></html>`;
}

describe('the chat widget with the keyboard only', { timeout: 120_000 }, () => {
  let api: BrowserTestApi;
  let browser: Browser;
  let host: http.Server;
  let hostUrl: string;
  let page: Page;

  beforeAll(async () => {
    clearScreenshots('keyboard');
    [api, browser] = await Promise.all([startBrowserTestApi(), launchBrowser()]);
    host = http.createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(hostPage(api.baseUrl));
    });
    await new Promise<void>((resolve) => host.listen(0, '127.0.0.1', resolve));
    // `localhost`, not 127.0.0.1: a different origin from the API's, as on a real site.
    hostUrl = `http://localhost:${(host.address() as AddressInfo).port}/`;
    page = await (await newContext(browser, hostUrl)).newPage();
  }, 180_000);

  afterEach(async ({ task }) => {
    await screenshotPagesOnFailure(browser, 'keyboard', task.result?.state === 'fail');
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => host?.close(resolve));
    await api?.close();
  });

  /** Presses `key` and reports what has the focus afterwards. */
  async function press(key: string): Promise<FocusedElement | null> {
    await page.keyboard.press(key);
    return focusedElement(page);
  }

  it('opens, asks, reads the answer and closes the widget without a mouse', async () => {
    await page.goto(hostUrl);
    const launcher = page.getByRole('button', { name: 'Chat with support' });
    await launcher.waitFor();

    // Tab from the top of the page to the launcher (after the host page's own link).
    const visited: FocusedElement[] = [];
    let focused: FocusedElement | null = null;
    for (let step = 0; step < 5 && !focused?.aria.includes('Chat with support'); step += 1) {
      focused = await press('Tab');
      if (focused) visited.push(focused);
    }
    expect(focused?.aria).toBe('button "Chat with support"');
    expect(focused?.outlineVisible).toBe(true);
    await expect(launcher.getAttribute('aria-expanded')).resolves.toBe('false');

    // Space opens the panel and the message box takes the focus once the chat is ready.
    await page.keyboard.press('Space');
    await page.getByRole('dialog', { name: 'Support chat' }).waitFor();
    await expect.poll(async () => (await focusedElement(page))?.aria).toBe('textbox "Your message"');
    focused = await focusedElement(page);
    expect(focused?.outlineVisible).toBe(true);

    await page.keyboard.type('How many API requests per minute can I make on the Pro plan?');
    await page.keyboard.press('Enter');
    const answer = page.locator('.message-agent').filter({ hasText: '1,000' });
    await answer.waitFor({ timeout: turnTimeoutMs });
    await answer.getByRole('link').first().waitFor();
    await screenshot(page, 'keyboard', 'widget-answer', 'widget');

    // A full Tab cycle through the page (it leaves the document once) back to the message box: every
    // stop in the widget is named and shows its focus.
    const stops: FocusedElement[] = [];
    for (let step = 0; step < 30; step += 1) {
      const stop = await press('Tab');
      if (stop?.aria === 'textbox "Your message"') break;
      if (stop?.inShadowRoot) stops.push(stop);
    }
    expect((await focusedElement(page))?.aria).toBe('textbox "Your message"');
    const unnamed = stops.filter((stop) => !hasAccessibleName(stop.aria));
    expect(unnamed, JSON.stringify(stops, null, 2)).toEqual([]);
    const invisible = stops.filter((stop) => !stop.outlineVisible);
    expect(invisible, JSON.stringify(stops, null, 2)).toEqual([]);
    const names = stops.map((stop) => stop.aria);
    for (const expected of ['button "Close chat"', 'button "New chat"', 'button "Close support chat"'])
      expect(names, names.join('\n')).toContain(expected);
    expect(names.some((name) => name.startsWith('link '))).toBe(true);
    // Shift+Tab walks back to the stop before the message box.
    const back = await press('Shift+Tab');
    expect(back?.aria).toBe(stops.at(-1)?.aria);

    // Escape closes the panel and puts the focus back on the launcher.
    await page.keyboard.press('Escape');
    await page.getByRole('dialog', { name: 'Support chat' }).waitFor({ state: 'detached' });
    focused = await focusedElement(page);
    expect(focused?.aria).toBe('button "Chat with support"');
    expect(focused?.outlineVisible).toBe(true);

    // Enter reopens the same conversation (sessionStorage), with the answer still there.
    await page.keyboard.press('Enter');
    await answer.waitFor();
  });

  it('keeps the main texts at a contrast of at least 4.5:1', async () => {
    const widget = await measureContrast(
      page,
      [
        '.chat-header h2',
        '.chat-identity',
        '.message-customer .message-text',
        '.message-customer .message-author',
        '.message-agent .message-text',
        '.message-agent .message-author',
        '.chip',
        '.sources a',
        '.composer button',
        '.widget-launcher',
      ],
      '#switchboard-widget',
    );
    expect(widget.length).toBeGreaterThanOrEqual(9);
    const demo = await page.context().newPage();
    try {
      await demo.goto(`${api.baseUrl}/`);
      await demo.getByRole('button', { name: 'Sign in as a demo customer' }).waitFor();
      const pageTexts = await measureContrast(demo, [
        '.brand',
        '.site-header a',
        'h1',
        '.demo-intro p',
        'label',
        'button.primary',
        '.chat-header h2',
      ]);
      const low = [...widget, ...pageTexts].filter((result) => result.ratio < 4.5);
      expect(low, JSON.stringify(low, null, 2)).toEqual([]);
    } finally {
      await demo.close();
    }
  });
});
