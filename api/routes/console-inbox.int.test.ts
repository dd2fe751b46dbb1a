import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conversationChannel, type LiveEvent } from '../../conversations/live-events.ts';
import { loadWorld } from '../../db/world/load-world.ts';
import type { WorldInput } from '../../db/world/world-schema.ts';
import { createTestApi, type TestApi } from '../../test/support/api-harness.ts';
import { loginAs } from '../../test/support/console-login.ts';
import { testDatabaseKind } from '../../test/support/database.ts';
import { identityTokenFor } from '../../test/support/verified-chat.ts';
import type {
  CannedReply,
  InboxConversation,
  InboxItem,
  InboxResponse,
  RenderedReply,
  Sidebar,
  StaffResponse,
} from '../contract/console-inbox.ts';
import { trackPresence } from './console-presence.ts';

const world: WorldInput = {
  accounts: [
    { id: 'acc_1', name: 'Brightpath', tier: 'pro', region: 'EU' },
    { id: 'acc_3', name: 'QuantaLeap', tier: 'business', region: 'APAC' },
  ],
  contacts: [
    {
      id: 'ct_1',
      account: 'acc_1',
      name: 'Maya Chen',
      email: 'maya@brightpath.io',
      timezone: 'Europe/Berlin',
    },
    {
      id: 'ct_3',
      account: 'acc_3',
      name: 'Priya Nair',
      email: 'priya@quantaleap.io',
      timezone: 'Asia/Kolkata',
    },
  ],
  subscriptions: [
    { id: 'sub_1', account: 'acc_1', plan: 'pro', status: 'active', period_end: '2026-11-30' },
    { id: 'sub_3', account: 'acc_3', plan: 'business', status: 'active', period_end: '2026-11-30' },
  ],
  invoices: [
    { id: 'INV-1001', account: 'acc_1', amount_cents: 9900, status: 'paid', issued_at: '2026-11-01' },
    { id: 'INV-3001', account: 'acc_3', amount_cents: 49900, status: 'paid', issued_at: '2026-11-01' },
  ],
  payments: [
    {
      id: 'pay_11',
      invoice: 'INV-1001',
      amount_cents: 9900,
      status: 'succeeded',
      created_at: '2026-11-01T10:00:00Z',
    },
    {
      id: 'pay_31',
      invoice: 'INV-3001',
      amount_cents: 49900,
      status: 'succeeded',
      created_at: '2026-11-01T10:00:00Z',
    },
  ],
  tickets: [
    {
      id: 'T-1',
      account: 'acc_1',
      contact: 'ct_1',
      subject: 'SSO setup',
      status: 'open',
      priority: 'normal',
      category: 'sso',
      created_at: '2026-11-10T10:00:00Z',
    },
    {
      id: 'T-3',
      account: 'acc_3',
      contact: 'ct_3',
      subject: 'Quota question',
      status: 'open',
      priority: 'low',
      category: 'api',
      created_at: '2026-11-11T10:00:00Z',
    },
  ],
};

type Session = Awaited<ReturnType<typeof loginAs>>;

let sequence = 0;

/** A conversation as the agent leaves it: messages, and an escalation unless `escalation: null`. */
async function conversation(
  api: TestApi,
  options: {
    id?: string;
    channel?: 'chat' | 'email';
    contact?: 'ct_1' | 'ct_3' | null;
    verified?: boolean;
    status?: string;
    customerText?: string[];
    escalation?: null | {
      reason?: string;
      priority?: string;
      status?: 'open' | 'claimed' | 'resolved';
      claimedBy?: string;
    };
    createdAt?: string;
  } = {},
): Promise<{ conversationId: string; escalationId: string | null }> {
  sequence += 1;
  const conversationId = options.id ?? `conv_inbox_${sequence}`;
  const contact = options.contact === undefined ? 'ct_1' : options.contact;
  const account = contact === 'ct_1' ? 'acc_1' : contact === 'ct_3' ? 'acc_3' : null;
  const pool = api.database.pool;
  if (!options.id)
    await pool.query(
      `INSERT INTO conversations (id, channel, contact_id, account_id, verified, verified_by, status, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, COALESCE($8::timestamptz, now()))`,
      [
        conversationId,
        options.channel ?? 'chat',
        contact,
        account,
        options.verified ?? contact !== null,
        (options.verified ?? contact !== null) ? 'token' : null,
        options.status ?? (options.escalation === null ? 'open' : 'escalated'),
        options.createdAt ?? null,
      ],
    );
  for (const text of options.customerText ?? ['Hello there'])
    await pool.query(`INSERT INTO messages (conversation_id, role, body) VALUES ($1, 'customer', $2)`, [
      conversationId,
      text,
    ]);
  await pool.query(
    `INSERT INTO messages (conversation_id, role, body) VALUES ($1, 'agent', 'Let me look.')`,
    [conversationId],
  );
  if (options.escalation === null) return { conversationId, escalationId: null };
  const escalation = options.escalation ?? {};
  const escalationId = `esc_inbox_${sequence}`;
  await pool.query(
    `INSERT INTO escalations (id, conversation_id, reason, priority, status, claimed_by, claimed_at, packet, sla_due_at)
     VALUES ($1, $2, $3, $4, $5, $6, CASE WHEN $6::text IS NULL THEN NULL ELSE now() END, $7, now() + interval '10 minutes')`,
    [
      escalationId,
      conversationId,
      escalation.reason ?? 'customer_requested',
      escalation.priority ?? 'normal',
      escalation.status ?? 'open',
      escalation.claimedBy ?? null,
      JSON.stringify({ summary: 'asked for a person', identity: {} }),
    ],
  );
  return { conversationId, escalationId };
}

describe(`console inbox on ${testDatabaseKind()}`, () => {
  let api: TestApi;
  let agent: Session;
  let colleague: Session;
  let admin: Session;
  const customerEvents: LiveEvent[] = [];

  const call = (
    session: { cookie: string; csrfToken: string } | null,
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    url: string,
    payload?: unknown,
  ) =>
    api.app.inject({
      method,
      url,
      headers: {
        ...(session ? { cookie: session.cookie } : {}),
        ...(session && method !== 'GET' ? { 'x-csrf-token': session.csrfToken } : {}),
      },
      ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
    });
  const inbox = async (session: Session, query = '') => {
    const response = await call(session, 'GET', `/api/console/inbox${query}`);
    expect(response.statusCode, response.body).toBe(200);
    return response.json() as InboxResponse;
  };
  const ids = (response: InboxResponse) => response.conversations.map((item) => item.conversationId);
  const handle = (session: Session) => session.human.email.split('@')[0]!;

  beforeAll(async () => {
    api = await createTestApi({ seed: false });
    await loadWorld(api.database.pool, world);
    agent = await loginAs(api.app, api.database.pool, 'agent');
    colleague = await loginAs(api.app, api.database.pool, 'agent');
    admin = await loginAs(api.app, api.database.pool, 'admin');
  }, 120_000);
  afterAll(async () => {
    await api?.close();
  });

  it('needs a console session', async () => {
    const response = await call(null, 'GET', '/api/console/inbox');
    expect(response.statusCode).toBe(401);
  });

  describe('filters', () => {
    let agentHandled: string;
    let escalatedUrgent: string;
    let claimedByColleague: string;
    let resolved: string;
    beforeAll(async () => {
      agentHandled = (await conversation(api, { escalation: null, createdAt: '2026-10-01T10:00:00Z' }))
        .conversationId;
      escalatedUrgent = (
        await conversation(api, {
          channel: 'email',
          contact: 'ct_3',
          escalation: { reason: 'security_sensitive', priority: 'urgent' },
        })
      ).conversationId;
      claimedByColleague = (
        await conversation(api, {
          status: 'claimed',
          escalation: { status: 'claimed', claimedBy: colleague.human.id },
        })
      ).conversationId;
      resolved = (await conversation(api, { status: 'resolved', escalation: { status: 'resolved' } }))
        .conversationId;
    });

    it('lists every conversation, the latest activity first, with its state', async () => {
      const all = await inbox(agent);
      const states = Object.fromEntries(all.conversations.map((item) => [item.conversationId, item.state]));
      expect(states).toMatchObject({
        [agentHandled]: 'agent',
        [escalatedUrgent]: 'escalated',
        [claimedByColleague]: 'claimed',
        [resolved]: 'resolved',
      });
      expect(ids(all).slice(0, 4)).toEqual([resolved, claimedByColleague, escalatedUrgent, agentHandled]);
      const urgent = all.conversations.find((item) => item.conversationId === escalatedUrgent)!;
      expect(urgent).toMatchObject({
        channel: 'email',
        customer: { name: 'Priya Nair', accountName: 'QuantaLeap', verified: true },
        escalation: { reason: 'security_sensitive', priority: 'urgent', status: 'open', slaBreached: false },
        assignee: null,
        lastMessage: { role: 'agent', text: 'Let me look.' },
      });
      expect(urgent.escalation?.slaDueAt).toBeTruthy();
      const claimed = all.conversations.find((item) => item.conversationId === claimedByColleague)!;
      expect(claimed.assignee).toEqual({ id: colleague.human.id, name: colleague.human.name });
    });

    it('filters by state, channel, reason, priority, assignee and date', async () => {
      expect(ids(await inbox(agent, '?state=agent'))).toEqual([agentHandled]);
      expect(ids(await inbox(agent, '?state=escalated,claimed'))).toEqual([
        claimedByColleague,
        escalatedUrgent,
      ]);
      expect(ids(await inbox(agent, '?channel=email'))).toEqual([escalatedUrgent]);
      expect(ids(await inbox(agent, '?reason=security_sensitive'))).toEqual([escalatedUrgent]);
      expect(ids(await inbox(agent, '?priority=urgent'))).toEqual([escalatedUrgent]);
      expect(ids(await inbox(colleague, '?assignee=me'))).toEqual([claimedByColleague]);
      expect(ids(await inbox(agent, `?assignee=${colleague.human.id}`))).toEqual([claimedByColleague]);
      expect(ids(await inbox(agent, '?assignee=none'))).not.toContain(claimedByColleague);
      expect(ids(await inbox(agent, '?to=2026-10-02T00:00:00Z'))).toEqual([agentHandled]);
      expect(ids(await inbox(agent, '?from=2026-10-02T00:00:00Z'))).not.toContain(agentHandled);
    });

    it('pages with a cursor, each conversation once', async () => {
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page: InboxResponse = await inbox(agent, `?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
        expect(page.conversations.length).toBeLessThanOrEqual(2);
        seen.push(...ids(page));
        cursor = page.nextCursor;
        pages += 1;
      } while (cursor && pages < 20);
      expect(seen).toEqual(ids(await inbox(agent, '?limit=100')));
      expect(new Set(seen).size).toBe(seen.length);
      expect(pages).toBeGreaterThanOrEqual(2);
    });

    it('refuses malformed filters and search with 400', async () => {
      for (const query of [
        '?state=bogus',
        '?state=',
        '?priority=critical',
        '?channel=sms',
        '?reason=whatever',
        '?from=yesterday',
        '?from=2026-11-02T00:00:00Z&to=2026-11-01T00:00:00Z',
        '?limit=0',
        '?limit=1000',
        '?assignee=robert%27);drop',
        '?q=',
        '?q=%20%20',
        '?q=%3F%21%2A',
        '?q=the',
        '?q=zebra%00fish',
        `?q=${'a'.repeat(201)}`,
        '?cursor=not*a*cursor',
        '?cursor=eyJ4IjoxfQ',
        '?sort=newest',
      ]) {
        const response = await call(agent, 'GET', `/api/console/inbox${query}`);
        expect(response.statusCode, `${query}: ${response.body}`).toBe(400);
        expect(response.json().error.code).toBe('validation_failed');
      }
      // A keyset cursor is not a search's cursor.
      const page = await inbox(agent, '?limit=1');
      const mixed = await call(agent, 'GET', `/api/console/inbox?q=hello&cursor=${page.nextCursor}`);
      expect(mixed.statusCode).toBe(400);
    });
  });

  describe('search', () => {
    it('finds a word of a customer message, ranks the better match first and marks it', async () => {
      const once = await conversation(api, {
        customerText: ['My zebrafish dashboard is blank since this morning'],
      });
      const twice = await conversation(api, {
        contact: 'ct_3',
        customerText: [
          'The zebrafish export failed',
          'zebrafish zebrafish: still failing, the zebrafish report',
        ],
      });
      const unrelated = await conversation(api, { customerText: ['Where is my invoice?'] });
      const found = await inbox(agent, '?q=zebrafish');
      expect(ids(found)).toEqual([twice.conversationId, once.conversationId]);
      expect(found.conversations[0]!.rank).toBeGreaterThan(found.conversations[1]!.rank!);
      expect(found.conversations[1]!.match).toContain('«zebrafish»');
      // English stemming: "dashboards" finds "dashboard"; a phrase and an exclusion work.
      expect(ids(await inbox(agent, '?q=dashboards'))).toEqual([once.conversationId]);
      expect(ids(await inbox(agent, '?q=%22zebrafish%20export%22'))).toEqual([twice.conversationId]);
      expect(ids(await inbox(agent, '?q=zebrafish%20-blank'))).toEqual([twice.conversationId]);
      expect(ids(await inbox(agent, '?q=invoice'))).toContain(unrelated.conversationId);
      expect(ids(await inbox(agent, '?q=zebrafish&channel=email'))).toEqual([]);
      // Search pages by offset.
      const first = await inbox(agent, '?q=zebrafish&limit=1');
      expect(ids(first)).toEqual([twice.conversationId]);
      const second = await inbox(agent, `?q=zebrafish&limit=1&cursor=${first.nextCursor}`);
      expect(ids(second)).toEqual([once.conversationId]);
      expect(second.nextCursor).toBeNull();
    });

    it('never searches internal system lines', async () => {
      const { conversationId } = await conversation(api, {});
      await api.database.pool.query(
        `INSERT INTO messages (conversation_id, role, body) VALUES ($1, 'system', 'Approved by Quixotic reviewer.')`,
        [conversationId],
      );
      expect(ids(await inbox(agent, '?q=quixotic'))).toEqual([]);
    });
  });

  describe('assignment and claims', () => {
    it('assigning to a teammate moves the claim; someone else cannot take it; an admin can', async () => {
      const { conversationId, escalationId } = await conversation(api, {});
      const assigned = await call(
        agent,
        'POST',
        `/api/console/inbox/conversations/${conversationId}/assign`,
        {
          humanId: agent.human.id,
        },
      );
      expect(assigned.statusCode, assigned.body).toBe(200);
      expect((assigned.json() as { item: InboxItem }).item).toMatchObject({
        state: 'claimed',
        conversationStatus: 'claimed',
        assignee: { id: agent.human.id },
      });
      const { rows } = await api.database.pool.query(
        'SELECT status, claimed_by FROM escalations WHERE id = $1',
        [escalationId],
      );
      expect(rows[0]).toEqual({ status: 'claimed', claimed_by: agent.human.id });

      const stolen = await call(
        colleague,
        'POST',
        `/api/console/inbox/conversations/${conversationId}/assign`,
        {
          humanId: colleague.human.id,
        },
      );
      expect(stolen.statusCode).toBe(409);
      const claimed = await call(
        colleague,
        'POST',
        `/api/console/inbox/conversations/${conversationId}/claim`,
      );
      expect(claimed.statusCode).toBe(409);
      // The escalation queue's own claim agrees.
      expect(
        (await call(colleague, 'POST', `/api/console/escalations/${escalationId}/claim`)).statusCode,
      ).toBe(409);
      expect(
        (await call(colleague, 'POST', `/api/console/inbox/conversations/${conversationId}/release`))
          .statusCode,
      ).toBe(409);

      // The holder hands it to the colleague, who may then reply; the agent no longer may.
      const handed = await call(agent, 'POST', `/api/console/inbox/conversations/${conversationId}/assign`, {
        humanId: colleague.human.id,
      });
      expect(handed.statusCode).toBe(200);
      expect(
        (await call(agent, 'POST', `/api/console/conversations/${conversationId}/replies`, { text: 'hi' }))
          .statusCode,
      ).toBe(409);
      expect(
        (
          await call(colleague, 'POST', `/api/console/conversations/${conversationId}/replies`, {
            text: 'Hi!',
          })
        ).statusCode,
      ).toBe(201);

      const takeover = await call(admin, 'POST', `/api/console/inbox/conversations/${conversationId}/claim`);
      expect(takeover.statusCode).toBe(200);
      expect((takeover.json() as { item: InboxItem }).item.assignee?.id).toBe(admin.human.id);

      const released = await call(
        admin,
        'POST',
        `/api/console/inbox/conversations/${conversationId}/release`,
      );
      expect(released.statusCode).toBe(200);
      expect((released.json() as { item: InboxItem }).item).toMatchObject({
        state: 'escalated',
        conversationStatus: 'escalated',
        assignee: null,
      });
      expect(
        (await call(agent, 'POST', `/api/console/inbox/conversations/${conversationId}/release`)).statusCode,
      ).toBe(409);
    });

    it('assigns to a team (releasing the claim for the team), and checks people and teams exist', async () => {
      const { conversationId } = await conversation(api, {});
      const team = await call(admin, 'POST', '/api/console/inbox/teams', {
        name: 'Billing',
        members: [agent.human.id],
      });
      expect(team.statusCode, team.body).toBe(201);
      const teamId = (team.json() as { id: string }).id;
      expect((await call(agent, 'POST', '/api/console/inbox/teams', { name: 'Mine' })).statusCode).toBe(403);
      expect((await call(admin, 'POST', '/api/console/inbox/teams', { name: 'Billing' })).statusCode).toBe(
        409,
      );
      expect(
        (await call(admin, 'POST', '/api/console/inbox/teams', { name: 'Ghosts', members: ['hum_nobody'] }))
          .statusCode,
      ).toBe(400);

      const url = `/api/console/inbox/conversations/${conversationId}/assign`;
      expect((await call(agent, 'POST', url, { humanId: agent.human.id, teamId })).statusCode).toBe(200);
      expect((await call(agent, 'POST', url, { humanId: colleague.human.id, teamId })).statusCode).toBe(409);
      expect((await call(agent, 'POST', url, { humanId: 'hum_nobody' })).statusCode).toBe(404);
      expect((await call(agent, 'POST', url, { humanId: null, teamId: 'team_nobody' })).statusCode).toBe(404);
      expect((await call(agent, 'POST', url, { humanId: 'bad id!' })).statusCode).toBe(400);
      expect((await call(agent, 'POST', url, { teamId })).statusCode).toBe(400);

      const toTeam = await call(agent, 'POST', url, { humanId: null, teamId });
      expect(toTeam.statusCode).toBe(200);
      expect((toTeam.json() as { item: InboxItem }).item).toMatchObject({
        state: 'escalated',
        assignee: null,
        team: { id: teamId, name: 'Billing' },
      });
      expect(ids(await inbox(agent, `?team=${teamId}`))).toEqual([conversationId]);

      const staff = (await call(agent, 'GET', '/api/console/inbox/staff')).json() as StaffResponse;
      expect(staff.teams).toContainEqual({ id: teamId, name: 'Billing', members: [agent.human.id] });
      expect(staff.staff.find((person) => person.id === agent.human.id)?.teams).toEqual([
        { id: teamId, name: 'Billing' },
      ]);
    });

    it("shows the queue's own claim as the holder over an earlier assignment", async () => {
      const { conversationId, escalationId } = await conversation(api, {});
      await api.database.pool.query('UPDATE conversations SET assignee_id = $2 WHERE id = $1', [
        conversationId,
        agent.human.id,
      ]);
      expect(
        (await call(colleague, 'POST', `/api/console/escalations/${escalationId}/claim`)).statusCode,
      ).toBe(200);
      const item = (await inbox(agent)).conversations.find(
        (entry) => entry.conversationId === conversationId,
      )!;
      expect(item.assignee?.id).toBe(colleague.human.id);
      // The claim holds: the earlier assignee cannot reassign it.
      const moved = await call(agent, 'POST', `/api/console/inbox/conversations/${conversationId}/assign`, {
        humanId: agent.human.id,
      });
      expect(moved.statusCode).toBe(409);
    });

    it('claims an agent-handled conversation as an assignment, leaving it with the assistant', async () => {
      const { conversationId } = await conversation(api, { escalation: null });
      const claimed = await call(agent, 'POST', `/api/console/inbox/conversations/${conversationId}/claim`);
      expect(claimed.statusCode).toBe(200);
      expect((claimed.json() as { item: InboxItem }).item).toMatchObject({
        state: 'agent',
        conversationStatus: 'open',
        assignee: { id: agent.human.id },
      });
      expect(
        (await call(colleague, 'POST', `/api/console/inbox/conversations/${conversationId}/claim`))
          .statusCode,
      ).toBe(409);
      expect((await call(agent, 'POST', '/api/console/inbox/conversations/conv_nope/claim')).statusCode).toBe(
        404,
      );
    });
  });

  describe('internal notes', () => {
    it('mentions a teammate (unread for them), and never reaches the customer', async () => {
      // A real customer conversation, started through the customer API.
      const started = await api.app.inject({
        method: 'POST',
        url: '/api/conversations',
        payload: { identityToken: await identityTokenFor('maya@brightpath.io') },
      });
      expect(started.statusCode, started.body).toBe(201);
      const { conversationId, accessToken } = started.json() as {
        conversationId: string;
        accessToken: string;
      };
      await api.database.pool.query(
        `UPDATE conversations SET channel = 'email', status = 'escalated' WHERE id = $1`,
        [conversationId],
      );
      await conversation(api, { id: conversationId, customerText: ['Please check my plan'] });
      await api.context.bus.subscribe(conversationChannel(conversationId), (event) =>
        customerEvents.push(event),
      );

      const secret = 'INTERNAL-ONLY: customer is on the watch list';
      const text = `@${handle(colleague)} please look — ${secret}. Not a mention: billing@brightpath.io`;
      const added = await call(agent, 'POST', `/api/console/inbox/conversations/${conversationId}/notes`, {
        text,
      });
      expect(added.statusCode, added.body).toBe(201);
      expect(added.json().note).toMatchObject({
        text,
        author: { id: agent.human.id },
        mentions: [{ id: colleague.human.id, name: colleague.human.name }],
      });
      expect(
        (
          await call(agent, 'POST', `/api/console/inbox/conversations/${conversationId}/notes`, {
            text: '  ',
          })
        ).statusCode,
      ).toBe(400);

      // The colleague sees the mention as unread until they open the conversation.
      const before = await inbox(colleague, `?unread=true`);
      const item = before.conversations.find((entry) => entry.conversationId === conversationId)!;
      expect(item.unreadMentions).toBe(1);
      expect(before.unread.mentions).toBe(1);
      const author = (await inbox(agent)).conversations.find(
        (entry) => entry.conversationId === conversationId,
      )!;
      expect(author.unreadMentions).toBe(0);
      const opened = await call(colleague, 'GET', `/api/console/inbox/conversations/${conversationId}`);
      expect(opened.statusCode).toBe(200);
      const view = opened.json() as InboxConversation;
      expect(view.notes.map((note) => note.text)).toEqual([text]);
      expect(view.transcript.map((message) => message.text)).not.toContain(text);
      const after = await inbox(colleague);
      expect(after.unread.mentions).toBe(0);
      expect(after.conversations.find((entry) => entry.conversationId === conversationId)!.unread).toBe(0);

      // A human reply goes out; the note does not — not in the customer's transcript, events or mail.
      const reply = await call(agent, 'POST', `/api/console/conversations/${conversationId}/replies`, {
        text: 'We are checking your plan now.',
      });
      expect(reply.statusCode, reply.body).toBe(201);
      const customerView = await api.app.inject({
        url: `/api/conversations/${conversationId}`,
        headers: { authorization: `Bearer ${accessToken}` },
      });
      expect(customerView.statusCode).toBe(200);
      expect(customerView.body).toContain('We are checking your plan now.');
      expect(customerView.body).not.toContain('INTERNAL-ONLY');
      expect(customerEvents.length).toBeGreaterThan(0);
      expect(JSON.stringify(customerEvents)).not.toContain('INTERNAL-ONLY');
      const { rows: mail } = await api.database.pool.query(
        'SELECT text_body, coalesce(html_body, $2) AS html_body FROM email_outbox WHERE conversation_id = $1',
        [conversationId, ''],
      );
      expect(mail.length).toBeGreaterThan(0);
      expect(JSON.stringify(mail)).toContain('We are checking your plan now.');
      expect(JSON.stringify(mail)).not.toContain('INTERNAL-ONLY');
      const { rows: messages } = await api.database.pool.query(
        `SELECT count(*)::int AS n FROM messages WHERE body LIKE '%INTERNAL-ONLY%'`,
      );
      expect(messages[0].n).toBe(0);
    });

    it('counts new customer messages as unread until opened', async () => {
      const { conversationId } = await conversation(api, { customerText: ['one', 'two'] });
      const item = (await inbox(agent)).conversations.find(
        (entry) => entry.conversationId === conversationId,
      )!;
      expect(item.unread).toBe(2);
      await call(agent, 'GET', `/api/console/inbox/conversations/${conversationId}`);
      await api.database.pool.query(
        `INSERT INTO messages (conversation_id, role, body) VALUES ($1, 'customer', 'three')`,
        [conversationId],
      );
      const again = (await inbox(agent)).conversations.find(
        (entry) => entry.conversationId === conversationId,
      )!;
      expect(again.unread).toBe(1);
    });
  });

  describe('canned replies', () => {
    it('are managed by admins, refuse unknown variables, and are filled in from the conversation', async () => {
      const body = 'Hi {{customer.first_name}}, {{ agent.name }} from support here about {{account.name}}.';
      expect(
        (await call(agent, 'POST', '/api/console/canned-replies', { title: 'Greeting', body })).statusCode,
      ).toBe(403);
      const unknown = await call(admin, 'POST', '/api/console/canned-replies', {
        title: 'Bad',
        body: 'Hello {{customer.password}} and {{nope}}',
      });
      expect(unknown.statusCode).toBe(400);
      expect(unknown.json().error.message).toContain('{{customer.password}}');
      const created = await call(admin, 'POST', '/api/console/canned-replies', { title: 'Greeting', body });
      expect(created.statusCode, created.body).toBe(201);
      const reply = created.json() as CannedReply;
      expect(reply.variables).toEqual(['customer.first_name', 'agent.name', 'account.name']);
      expect(
        (await call(admin, 'POST', '/api/console/canned-replies', { title: 'Greeting', body: 'x' }))
          .statusCode,
      ).toBe(409);

      const list = (await call(agent, 'GET', '/api/console/canned-replies')).json();
      expect(list.cannedReplies.map((entry: CannedReply) => entry.title)).toContain('Greeting');

      const { conversationId } = await conversation(api, { contact: 'ct_3' });
      const rendered = await call(
        agent,
        'GET',
        `/api/console/inbox/conversations/${conversationId}/canned-replies/${reply.id}`,
      );
      expect(rendered.statusCode).toBe(200);
      expect(rendered.json() as RenderedReply).toEqual({
        text: `Hi Priya, ${agent.human.name} from support here about QuantaLeap.`,
        missing: [],
      });
      const anonymous = await conversation(api, { contact: null });
      const blank = await call(
        agent,
        'GET',
        `/api/console/inbox/conversations/${anonymous.conversationId}/canned-replies/${reply.id}`,
      );
      expect(blank.json()).toEqual({
        text: `Hi , ${agent.human.name} from support here about .`,
        missing: ['customer.first_name', 'account.name'],
      });

      const changed = await call(admin, 'PUT', `/api/console/canned-replies/${reply.id}`, {
        title: 'Greeting',
        body: 'Hello {{customer.name}}',
      });
      expect(changed.statusCode).toBe(200);
      expect(
        (await call(admin, 'PUT', `/api/console/canned-replies/${reply.id}`, { title: 'G', body: '{{x}}' }))
          .statusCode,
      ).toBe(400);
      expect((await call(admin, 'DELETE', `/api/console/canned-replies/${reply.id}`)).statusCode).toBe(204);
      expect((await call(admin, 'DELETE', `/api/console/canned-replies/${reply.id}`)).statusCode).toBe(404);
      expect(
        (
          await call(
            agent,
            'GET',
            `/api/console/inbox/conversations/${conversationId}/canned-replies/${reply.id}`,
          )
        ).statusCode,
      ).toBe(404);
    });
  });

  describe('customer sidebar', () => {
    it("reads only the conversation's own verified customer, through the connectors, as the staff member", async () => {
      const earlier = await conversation(api, { escalation: null, status: 'resolved' });
      const { conversationId } = await conversation(api, {});
      await conversation(api, { contact: 'ct_3' });
      const response = await call(agent, 'GET', `/api/console/inbox/conversations/${conversationId}/sidebar`);
      expect(response.statusCode, response.body).toBe(200);
      const sidebar = response.json() as Sidebar;
      expect(sidebar.verified).toBe(true);
      expect(sidebar.panel.contact).toMatchObject({ id: 'ct_1', name: 'Maya Chen' });
      expect(sidebar.panel.account).toMatchObject({ id: 'acc_1', name: 'Brightpath' });
      expect(sidebar.panel.subscription).toMatchObject({ planId: 'pro' });
      expect(sidebar.panel.invoices.map((invoice) => invoice.id)).toEqual(['INV-1001']);
      expect(sidebar.panel.tickets.map((ticket) => ticket.id)).toEqual(['T-1']);
      expect(sidebar.payments.map((payment) => payment.id)).toEqual(['pay_11']);
      expect(sidebar.paymentsStatus).toEqual({ state: 'ok', connector: 'billing' });
      expect(sidebar.earlierConversations.map((entry) => entry.id)).toContain(earlier.conversationId);
      expect(sidebar.earlierConversations.map((entry) => entry.id)).not.toContain(conversationId);
      expect(JSON.stringify(sidebar)).not.toMatch(/acc_3|ct_3|INV-3001|pay_31|Priya/);

      await api.context.switchboard.gateway.flush();
      const { rows: audit } = await api.database.pool.query(
        `SELECT DISTINCT operation, actor, account_id, detail->>'actor_id' AS actor_id FROM audit_log
          WHERE conversation_id = $1 AND operation = 'list_payments'`,
        [conversationId],
      );
      expect(audit).toEqual([
        { operation: 'list_payments', actor: 'human', account_id: 'acc_1', actor_id: agent.human.id },
      ]);

      const unverified = await conversation(api, { verified: false });
      const nothing = (
        await call(agent, 'GET', `/api/console/inbox/conversations/${unverified.conversationId}/sidebar`)
      ).json() as Sidebar;
      expect(nothing).toMatchObject({ verified: false, payments: [], earlierConversations: [] });
      expect(nothing.panel.contact).toBeNull();
      expect(nothing.message).toMatch(/not verified/);
      expect(
        (await call(agent, 'GET', '/api/console/inbox/conversations/conv_nope/sidebar')).statusCode,
      ).toBe(404);
    });
  });

  describe('presence', () => {
    it('is online while a console stream is open, away after signing in, offline otherwise', async () => {
      const presenceOf = async (id: string) =>
        ((await call(agent, 'GET', '/api/console/inbox/staff')).json() as StaffResponse).staff.find(
          (person) => person.id === id,
        )?.presence;
      expect(await presenceOf(colleague.human.id)).toBe('away');
      const end = await trackPresence(api.database.pool, colleague.human.id, api.app.log);
      expect(await presenceOf(colleague.human.id)).toBe('online');
      end();
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(await presenceOf(colleague.human.id)).toBe('away');
      // A stream of a process that died stops counting once its row is old.
      await api.database.pool.query(
        `INSERT INTO staff_presence (connection_id, human_id, seen_at) VALUES ('dead', $1, now() - interval '10 minutes')`,
        [colleague.human.id],
      );
      expect(await presenceOf(colleague.human.id)).toBe('away');
      await api.database.pool.query(
        "UPDATE human_sessions SET last_seen_at = now() - interval '1 hour' WHERE human_id = $1",
        [colleague.human.id],
      );
      expect(await presenceOf(colleague.human.id)).toBe('offline');
    });
  });
});
