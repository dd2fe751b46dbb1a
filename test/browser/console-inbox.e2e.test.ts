import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { InboxResponse } from '../../api/contract/console-inbox.ts';
import { consoleChannel } from '../../conversations/live-events.ts';
import { demoCustomers } from '../../db/world/demo-world.ts';
import { loginAs } from '../support/console-login.ts';
import {
  type BrowserTestApi,
  clearScreenshots,
  conversation,
  demoAdmin,
  demoAgent,
  launchBrowser,
  newContext,
  screenshot,
  screenshotPagesOnFailure,
  sendChatMessage,
  signInAsDemoCustomer,
  signInAsStaff,
  startBrowserTestApi,
  turnTimeoutMs,
} from './support.ts';

const sofia = demoCustomers.openTicket;

/** In the page: whether `element` has the keyboard focus. */
const isFocused = (element: unknown): boolean =>
  element === (globalThis as unknown as { document: { activeElement: unknown } }).document.activeElement;

/** The customer page's stored conversation (localStorage): its id and access token. */
async function storedConversation(page: Page): Promise<{ conversationId: string; accessToken: string }> {
  return page.evaluate(() => {
    // The project's tsconfig has no DOM library: the page's storage, typed as little as used.
    const { localStorage } = globalThis as unknown as {
      localStorage: {
        length: number;
        key(index: number): string | null;
        getItem(key: string): string | null;
      };
    };
    for (let index = 0; index < localStorage.length; index += 1) {
      const raw = localStorage.getItem(localStorage.key(index) ?? '') ?? '';
      try {
        const value = JSON.parse(raw) as { conversationId?: unknown; accessToken?: unknown };
        if (typeof value.conversationId === 'string' && typeof value.accessToken === 'string')
          return { conversationId: value.conversationId, accessToken: value.accessToken };
      } catch {
        // Not ours.
      }
    }
    throw new Error('no stored conversation');
  });
}

describe('the console inbox in a browser', { timeout: 240_000 }, () => {
  let api: BrowserTestApi;
  let browser: Browser;

  beforeAll(async () => {
    clearScreenshots('console-inbox');
    [api, browser] = await Promise.all([startBrowserTestApi(), launchBrowser()]);
    // A UI build (when stale) and the local model's warm-up on a busy machine.
  }, 300_000);

  afterEach(async ({ task }) => {
    await screenshotPagesOnFailure(browser, 'console-inbox', task.result?.state === 'fail');
  });

  afterAll(async () => {
    await browser?.close();
    await api?.close();
  });

  it('an agent finds a conversation by search, assigns it, replies with a canned reply, adds a note and resolves it; the note never reaches the customer', async () => {
    // An admin's canned reply (through the API: the admin pages are not part of this test).
    const admin = await loginAs(api.app, api.database.pool, 'admin');
    const created = await api.app.inject({
      method: 'POST',
      url: '/api/console/canned-replies',
      headers: { cookie: admin.cookie, 'x-csrf-token': admin.csrfToken },
      payload: {
        title: 'Looking into it',
        body: 'Hi {{customer.first_name}}, this is {{agent.name}}. I am looking into your export now.',
      },
    });
    expect(created.statusCode, created.body).toBe(201);

    // The customer asks for a person, mentioning a word nothing else in the demo world has.
    const customer = await (await newContext(browser, api.baseUrl)).newPage();
    await customer.goto('/');
    await signInAsDemoCustomer(customer, sofia.email);
    await sendChatMessage(
      customer,
      'I would like to talk to a human please. My heliotrope export keeps failing.',
    );
    await expect
      .poll(
        async () =>
          (
            await api.database.pool.query(
              `SELECT e.id FROM escalations e JOIN conversations c ON c.id = e.conversation_id
                WHERE c.contact_id = $1 AND e.status = 'open'`,
              [sofia.contact],
            )
          ).rowCount,
        { timeout: turnTimeoutMs },
      )
      .toBe(1);
    const { conversationId, accessToken } = await storedConversation(customer);

    // The agent's browser: the inbox, and the search through the "/" shortcut.
    const agent = await (await newContext(browser, api.baseUrl)).newPage();
    await agent.goto('/console/inbox');
    await signInAsStaff(agent, demoAgent);
    await agent.getByRole('heading', { name: 'Inbox', exact: true }).waitFor();
    await agent.locator('body').press('/');
    const search = agent.getByLabel('Search conversations');
    await expect.poll(() => search.evaluate(isFocused)).toBe(true);
    // Shortcuts never steal keys from a field: "j" and "k" are typed into the search box.
    await search.pressSequentially('heliotrope junk');
    await expect(search.inputValue()).resolves.toBe('heliotrope junk');
    await search.fill('heliotrope');
    await search.press('Enter');
    const list = agent.getByRole('list', { name: 'Conversations' });
    await list.getByText('«heliotrope»', { exact: false }).waitFor();
    await expect(list.getByRole('listitem').count()).resolves.toBe(1);
    await screenshot(agent, 'console-inbox', 'search');
    await list.getByRole('link', { name: 'Sofia Rossi' }).click();
    await agent.getByRole('heading', { name: /Sofia Rossi/ }).waitFor();
    await agent
      .getByLabel('Transcript')
      .getByText(/heliotrope export keeps failing/)
      .waitFor();
    // The sidebar: the verified customer's own records through the connectors.
    await agent.getByRole('complementary').getByText('Earlier conversations').waitFor();

    // Assign it (to themselves, as a teammate would pick from the list).
    const { rows: me } = await api.database.pool.query<{ id: string }>(
      'SELECT id FROM human_agents WHERE email = $1',
      [demoAgent.email],
    );
    const assignTo = agent.getByLabel('Assign to');
    await expect(assignTo.locator('option', { hasText: 'Alex Agent (me)' }).count()).resolves.toBe(1);
    await assignTo.selectOption(`human:${me[0]!.id}`);
    await agent.getByRole('button', { name: 'Assign', exact: true }).click();
    await agent.getByText('Assigned to Alex Agent.').waitFor();
    await agent.getByText('Assigned to: Alex Agent').waitFor();

    // A canned reply, filled in from the conversation, sent to the customer.
    await agent.getByLabel('Canned reply').selectOption({ label: 'Looking into it' });
    const replyBox = agent.getByLabel('Reply to the customer');
    const greeting = 'Hi Sofia, this is Alex Agent. I am looking into your export now.';
    await expect.poll(() => replyBox.inputValue()).toBe(greeting);
    await agent.getByRole('button', { name: 'Send reply' }).click();
    await conversation(customer).getByText(greeting).waitFor({ timeout: turnTimeoutMs });

    // An internal note through the "n" shortcut, mentioning the admin.
    await agent.locator('body').press('n');
    const noteBox = agent.getByLabel('Internal note (only your team sees this)');
    await expect.poll(() => noteBox.evaluate(isFocused)).toBe(true);
    const secret = 'INTERNAL-NOTE: heliotrope export fails for all Verdant users, engineering knows';
    await noteBox.fill(`${secret} `);
    await agent.getByRole('button', { name: '@admin', exact: true }).click();
    await agent.getByRole('button', { name: 'Add note' }).click();
    await agent.getByText('Note added (team only).').waitFor();
    const notes = agent.getByRole('list', { name: 'Internal notes' });
    await notes.getByText(secret, { exact: false }).waitFor();
    await notes.getByText('mentions Ada Admin', { exact: false }).waitFor();
    await screenshot(agent, 'console-inbox', 'conversation');

    // The help overlay lists the shortcuts.
    await agent.locator('body').press('?');
    await agent.getByRole('dialog', { name: 'Keyboard shortcuts' }).waitFor();
    await agent.keyboard.press('Escape');
    await expect(agent.getByRole('dialog', { name: 'Keyboard shortcuts' }).count()).resolves.toBe(0);

    await agent.getByRole('button', { name: 'Resolve', exact: true }).click();
    await agent.getByText('Resolved.', { exact: true }).waitFor();
    await customer.getByText('This conversation is resolved.').waitFor({ timeout: turnTimeoutMs });

    // The admin was mentioned: unread for them until they open it.
    const adminLogin = await api.app.inject({
      method: 'POST',
      url: '/api/console/login',
      payload: { email: demoAdmin.email, password: demoAdmin.password },
    });
    const adminCookie = adminLogin.cookies.find((cookie) => cookie.name === 'sb_session')!;
    const adminInbox = (
      await api.app.inject({
        url: '/api/console/inbox?unread=true',
        headers: { cookie: `sb_session=${adminCookie.value}` },
      })
    ).json() as InboxResponse;
    expect(adminInbox.unread.mentions).toBe(1);
    expect(adminInbox.conversations.map((item) => item.conversationId)).toEqual([conversationId]);

    // The note never reached the customer: not on their page (live or reloaded), not in their API, not in mail.
    await expect(customer.content()).resolves.not.toContain('INTERNAL-NOTE');
    await customer.reload();
    await conversation(customer).getByText(greeting).waitFor();
    await expect(customer.content()).resolves.not.toContain('INTERNAL-NOTE');
    const customerApi = await api.app.inject({
      url: `/api/conversations/${conversationId}`,
      headers: { authorization: `Bearer ${accessToken}` },
    });
    expect(customerApi.statusCode).toBe(200);
    expect(customerApi.body).toContain(greeting);
    expect(customerApi.body).not.toContain('INTERNAL-NOTE');
    const { rows: mail } = await api.database.pool.query(
      `SELECT count(*)::int AS n FROM email_outbox WHERE text_body LIKE '%INTERNAL-NOTE%' OR html_body LIKE '%INTERNAL-NOTE%'`,
    );
    expect(mail[0].n).toBe(0);
    const { rows: stored } = await api.database.pool.query(
      `SELECT (SELECT count(*)::int FROM messages WHERE body LIKE '%INTERNAL-NOTE%') AS messages,
              (SELECT count(*)::int FROM conversation_notes WHERE conversation_id = $1) AS notes,
              (SELECT status FROM conversations WHERE id = $1) AS status,
              (SELECT assignee_id IS NOT NULL FROM conversations WHERE id = $1) AS assigned`,
      [conversationId],
    );
    expect(stored[0]).toEqual({ messages: 0, notes: 1, status: 'resolved', assigned: true });
  });
  it('alerts with a browser notification when an escalation arrives, once alerts are turned on with a click', async () => {
    const context = await newContext(browser, api.baseUrl);
    await context.grantPermissions(['notifications']);
    // Records each notification the page shows (the real one is still created).
    await context.addInitScript(() => {
      const scope = globalThis as unknown as {
        Notification: { new (title: string, options?: { body?: string }): object; permission: string };
        shown: Array<{ title: string; body?: string }>;
      };
      const Original = scope.Notification;
      scope.shown = [];
      const Recorded = function (this: object, title: string, options?: { body?: string }) {
        scope.shown.push({ title, ...(options?.body ? { body: options.body } : {}) });
        return new Original(title, options);
      } as unknown as typeof Original;
      Object.defineProperty(Recorded, 'permission', { get: () => Original.permission });
      Object.assign(Recorded, { requestPermission: () => Promise.resolve(Original.permission) });
      scope.Notification = Recorded;
    });
    const agent = await context.newPage();
    await agent.goto('/console/inbox');
    await signInAsStaff(agent, demoAgent);
    await agent.getByText('Live.').waitFor();
    const shown = () => agent.evaluate(() => (globalThis as unknown as { shown: unknown[] }).shown);

    // Before the click nothing is shown: permission is only asked for on a gesture.
    const event = {
      kind: 'escalation' as const,
      conversationId: 'conv_alert',
      escalationId: 'esc_alert',
      change: 'opened' as const,
    };
    await api.context.bus.publish(consoleChannel, event);
    await agent.getByText(/New escalation at/).waitFor();
    await expect(shown()).resolves.toEqual([]);

    await agent.getByRole('button', { name: 'Turn on escalation alerts' }).click();
    await agent.getByRole('button', { name: 'Escalation alerts on' }).waitFor();
    await api.context.bus.publish(consoleChannel, { ...event, conversationId: 'conv_alert_2' });
    await expect
      .poll(shown, { timeout: 10_000 })
      .toEqual([{ title: 'New escalation', body: 'A conversation was escalated to your team.' }]);
    // A claim is not a new escalation.
    await api.context.bus.publish(consoleChannel, { ...event, change: 'claimed' });
    await new Promise((resolve) => setTimeout(resolve, 500));
    await expect(shown()).resolves.toHaveLength(1);
  });
});
