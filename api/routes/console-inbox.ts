import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import { z } from 'zod';
import {
  addNote,
  assignConversation,
  claimConversation,
  type InboxChange,
  markConversationRead,
  releaseConversation,
} from '../../conversations/inbox.ts';
import { consoleChannel, conversationChannel } from '../../conversations/live-events.ts';
import { type HumanAgent, requireHuman } from '../auth/human-auth.ts';
import type { ApiContext, RouteGroup } from '../context.ts';
import {
  assignBodySchema,
  assignmentResponseSchema,
  cannedRepliesResponseSchema,
  cannedReplyBodySchema,
  cannedReplyParamsSchema,
  cannedReplySchema,
  conversationParamsSchema,
  inboxConversationSchema,
  inboxQuerySchema,
  inboxResponseSchema,
  noteBodySchema,
  noteResponseSchema,
  renderedReplySchema,
  renderParamsSchema,
  sidebarSchema,
  staffResponseSchema,
  teamBodySchema,
} from '../contract/console-inbox.ts';
import { errorBodySchema } from '../contract/errors.ts';
import { ApiError } from '../errors.ts';
import {
  listCannedReplies,
  listInbox,
  listStaff,
  loadInboxConversation,
  loadInboxItem,
  loadSidebar,
  renderCannedReply,
  toCannedReply,
} from './console-inbox-queries.ts';

const errorSchema = errorBodySchema;
const errors = { 400: errorSchema, 401: errorSchema, 403: errorSchema, 404: errorSchema, 409: errorSchema };
const tags = ['console'];
const security = [{ consoleSession: [] }];

const human = (request: { human?: HumanAgent }): HumanAgent => request.human!;

/** Announces an assignment's claim and status changes like the console's own actions; never fails the request. */
async function announce(context: ApiContext, log: FastifyBaseLogger, change: InboxChange): Promise<void> {
  for (const event of change.events) {
    try {
      await context.bus.publish(consoleChannel, event);
      await context.bus.publish(conversationChannel(change.conversationId), event);
    } catch (error) {
      log.warn({ err: error, kind: event.kind }, 'live event not published');
    }
  }
}

const isUniqueViolation = (error: unknown): boolean => (error as { code?: string } | null)?.code === '23505';

/**
 * The console inbox (docs/product.md, "Console inbox"; docs/api.md): every conversation with
 * filters and full-text search, assignment and claim, internal notes, canned replies, the customer
 * sidebar and the staff with their presence.
 */
export const consoleInboxRoutes: RouteGroup = async (app, context) => {
  const agentOnly = requireHuman(context, 'agent');
  const adminOnly = requireHuman(context, 'admin');
  const { pool } = context.database;

  app.get(
    '/api/console/inbox',
    {
      preHandler: agentOnly,
      schema: {
        tags,
        security,
        summary:
          'Every conversation, filtered (state, channel, reason, priority, assignee, team, dates, unread) and searched (q: web-search syntax over the transcripts), one page at a time',
        querystring: inboxQuerySchema,
        response: { 200: inboxResponseSchema, ...errors },
      },
    },
    async (request) => listInbox(pool, request.query, human(request).id),
  );

  app.get(
    '/api/console/inbox/conversations/:id',
    {
      preHandler: agentOnly,
      schema: {
        tags,
        security,
        summary: 'A conversation: transcript and internal notes; opening it marks it read for you',
        params: conversationParamsSchema,
        response: { 200: inboxConversationSchema, ...errors },
      },
    },
    async (request) => {
      const view = await loadInboxConversation(pool, request.params.id, human(request).id);
      if (!view) throw new ApiError('not_found', `No conversation ${request.params.id}`);
      await markConversationRead(pool, request.params.id, human(request).id);
      return view;
    },
  );

  app.get(
    '/api/console/inbox/conversations/:id/sidebar',
    {
      preHandler: agentOnly,
      schema: {
        tags,
        security,
        summary:
          "The customer sidebar: profile, plan, invoices, payments and refunds, tickets (through the connectors, as you) and earlier conversations — only the conversation's own verified customer",
        params: conversationParamsSchema,
        response: { 200: sidebarSchema, ...errors },
      },
    },
    async (request) => {
      const sidebar = await loadSidebar(
        pool,
        { gateway: context.switchboard.gateway, humanId: human(request).id },
        request.params.id,
      );
      if (!sidebar) throw new ApiError('not_found', `No conversation ${request.params.id}`);
      return sidebar;
    },
  );

  const itemOf = async (conversationId: string, humanId: string) => {
    const item = await loadInboxItem(pool, conversationId, humanId);
    if (!item) throw new ApiError('not_found', `No conversation ${conversationId}`);
    return { item };
  };

  app.post(
    '/api/console/inbox/conversations/:id/assign',
    {
      preHandler: agentOnly,
      schema: {
        tags,
        security,
        summary:
          "Assign to a teammate (who then holds the live escalation's claim), a team, or nobody; 409 if someone else holds it",
        params: conversationParamsSchema,
        body: assignBodySchema,
        response: { 200: assignmentResponseSchema, ...errors },
      },
    },
    async (request) => {
      const change = await assignConversation(pool, request.params.id, human(request), request.body);
      await announce(context, request.log, change);
      return itemOf(request.params.id, human(request).id);
    },
  );

  for (const [action, summary, act] of [
    [
      'claim',
      'Claim the conversation (its live escalation too); 409 if someone else holds it',
      claimConversation,
    ],
    ['release', 'Release the conversation: its escalation is open again for anyone', releaseConversation],
  ] as const) {
    app.post(
      `/api/console/inbox/conversations/:id/${action}`,
      {
        preHandler: agentOnly,
        schema: {
          tags,
          security,
          summary,
          params: conversationParamsSchema,
          response: { 200: assignmentResponseSchema, ...errors },
        },
      },
      async (request) => {
        const change = await act(pool, request.params.id, human(request));
        await announce(context, request.log, change);
        return itemOf(request.params.id, human(request).id);
      },
    );
  }

  app.post(
    '/api/console/inbox/conversations/:id/notes',
    {
      preHandler: agentOnly,
      schema: {
        tags,
        security,
        summary:
          'Add an internal note (staff only, never sent to the customer); @handle mentions a teammate, who sees it as unread',
        params: conversationParamsSchema,
        body: noteBodySchema,
        response: { 201: noteResponseSchema, ...errors },
      },
    },
    async (request, reply) => {
      const note = await addNote(pool, request.params.id, human(request), request.body.text);
      // Deliberately not published on any channel: a note has no way to a customer's stream.
      return reply.code(201).send({ note });
    },
  );

  app.get(
    '/api/console/inbox/staff',
    {
      preHandler: agentOnly,
      schema: {
        tags,
        security,
        summary: 'The staff (with presence: online, away, offline) and the teams, to assign and mention',
        response: { 200: staffResponseSchema, ...errors },
      },
    },
    async () => listStaff(pool),
  );

  app.post(
    '/api/console/inbox/teams',
    {
      preHandler: adminOnly,
      schema: {
        tags,
        security,
        summary: 'Create a team of staff (admin)',
        body: teamBodySchema,
        response: {
          201: z.object({ id: z.string(), name: z.string(), members: z.array(z.string()) }),
          ...errors,
        },
      },
    },
    async (request, reply) => {
      const id = `team_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
      const members = [...new Set(request.body.members)];
      const { rows: known } = await pool.query<{ id: string }>(
        'SELECT id FROM human_agents WHERE id = ANY($1::text[])',
        [members],
      );
      const unknown = members.filter((member) => !known.some((row) => row.id === member));
      if (unknown.length)
        throw new ApiError('validation_failed', `members: no staff member ${unknown.join(', ')}`);
      try {
        await pool.query('INSERT INTO teams (id, name) VALUES ($1, $2)', [id, request.body.name]);
      } catch (error) {
        if (isUniqueViolation(error))
          throw new ApiError('conflict', `A team is already named ${request.body.name}`);
        throw error;
      }
      if (members.length)
        await pool.query('INSERT INTO team_members (team_id, human_id) SELECT $1, unnest($2::text[])', [
          id,
          members,
        ]);
      return reply.code(201).send({ id, name: request.body.name, members });
    },
  );

  app.get(
    '/api/console/canned-replies',
    {
      preHandler: agentOnly,
      schema: {
        tags,
        security,
        summary: "The team's canned replies (macros with {{variables}})",
        response: { 200: cannedRepliesResponseSchema, ...errors },
      },
    },
    async () => ({ cannedReplies: await listCannedReplies(pool) }),
  );

  app.post(
    '/api/console/canned-replies',
    {
      preHandler: adminOnly,
      schema: {
        tags,
        security,
        summary: 'Create a canned reply (admin); an unknown {{variable}} is refused with 400',
        body: cannedReplyBodySchema,
        response: { 201: cannedReplySchema, ...errors },
      },
    },
    async (request, reply) => {
      const id = `cr_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
      try {
        const { rows } = await pool.query(
          `INSERT INTO canned_replies (id, title, body, created_by) VALUES ($1, $2, $3, $4)
           RETURNING id, title, body, updated_at`,
          [id, request.body.title, request.body.body, human(request).id],
        );
        return reply.code(201).send(toCannedReply(rows[0]));
      } catch (error) {
        if (isUniqueViolation(error))
          throw new ApiError('conflict', `A canned reply is already titled ${request.body.title}`);
        throw error;
      }
    },
  );

  app.put(
    '/api/console/canned-replies/:id',
    {
      preHandler: adminOnly,
      schema: {
        tags,
        security,
        summary: 'Change a canned reply (admin)',
        params: cannedReplyParamsSchema,
        body: cannedReplyBodySchema,
        response: { 200: cannedReplySchema, ...errors },
      },
    },
    async (request) => {
      try {
        const { rows } = await pool.query(
          `UPDATE canned_replies SET title = $2, body = $3, updated_at = now() WHERE id = $1
           RETURNING id, title, body, updated_at`,
          [request.params.id, request.body.title, request.body.body],
        );
        if (!rows[0]) throw new ApiError('not_found', `No canned reply ${request.params.id}`);
        return toCannedReply(rows[0]);
      } catch (error) {
        if (isUniqueViolation(error))
          throw new ApiError('conflict', `A canned reply is already titled ${request.body.title}`);
        throw error;
      }
    },
  );

  app.delete(
    '/api/console/canned-replies/:id',
    {
      preHandler: adminOnly,
      schema: {
        tags,
        security,
        summary: 'Delete a canned reply (admin)',
        params: cannedReplyParamsSchema,
        response: { 204: z.null(), ...errors },
      },
    },
    async (request, reply) => {
      const { rowCount } = await pool.query('DELETE FROM canned_replies WHERE id = $1', [request.params.id]);
      if (!rowCount) throw new ApiError('not_found', `No canned reply ${request.params.id}`);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/api/console/inbox/conversations/:id/canned-replies/:replyId',
    {
      preHandler: agentOnly,
      schema: {
        tags,
        security,
        summary:
          "A canned reply filled in for the conversation (its customer's and your values); edit it, then send it as a reply",
        params: renderParamsSchema,
        response: { 200: renderedReplySchema, ...errors },
      },
    },
    async (request) => {
      const rendered = await renderCannedReply(
        pool,
        request.params.replyId,
        request.params.id,
        human(request),
      );
      if (!rendered) throw new ApiError('not_found', `No canned reply ${request.params.replyId}`);
      return rendered;
    },
  );
};
