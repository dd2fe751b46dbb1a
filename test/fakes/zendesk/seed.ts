import type { FakeZendesk } from './server.ts';

/**
 * Builds a Zendesk world in the fake through its HTTP API, as an administrator would migrate one:
 * users with Create User, and tickets — with their history, timestamps and comments — with the
 * Ticket Import API (https://developer.zendesk.com/api-reference/ticketing/tickets/ticket_import/),
 * the one Zendesk endpoint that takes `created_at` and comments by other authors.
 */
export function zendeskSeeder(fake: FakeZendesk) {
  async function post<T>(path: string, body: unknown): Promise<T> {
    const response = await fetch(`${fake.url}${path}`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${fake.agent.email}/token:${fake.agent.apiToken}`).toString('base64')}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify(body),
    });
    const parsed = (await response.json()) as T & { error?: string; description?: string };
    if (!response.ok) throw new Error(`seeding ${path} failed: ${parsed.error} ${parsed.description ?? ''}`);
    return parsed;
  }

  return {
    async user(name: string, email: string, role: 'end-user' | 'agent' = 'end-user'): Promise<number> {
      return (await post<{ user: { id: number } }>('/api/v2/users', { user: { name, email, role } })).user.id;
    },
    /** A ticket with its description (first comment, by the requester) and later comments. */
    async ticket(input: {
      requesterId: number;
      subject: string;
      description: string;
      createdAt: string;
      updatedAt?: string;
      status?: 'new' | 'open' | 'pending' | 'hold' | 'solved' | 'closed';
      priority?: 'urgent' | 'high' | 'normal' | 'low';
      type?: 'problem' | 'incident' | 'question' | 'task';
      problemId?: number;
      assigneeId?: number;
      tags?: string[];
      /** The ticket's reference in the system it was migrated from (Zendesk's `external_id`). */
      externalId?: string;
      comments?: Array<{ authorId: number; body: string; public?: boolean; createdAt: string }>;
    }): Promise<number> {
      const created = await post<{ ticket: { id: number } }>('/api/v2/imports/tickets', {
        ticket: {
          requester_id: input.requesterId,
          subject: input.subject,
          status: input.status ?? 'open',
          created_at: input.createdAt,
          updated_at: input.updatedAt ?? input.comments?.at(-1)?.createdAt ?? input.createdAt,
          ...(input.priority ? { priority: input.priority } : {}),
          ...(input.type ? { type: input.type } : {}),
          ...(input.problemId ? { problem_id: input.problemId } : {}),
          ...(input.assigneeId ? { assignee_id: input.assigneeId } : {}),
          tags: input.tags ?? [],
          ...(input.externalId ? { external_id: input.externalId } : {}),
          comments: [
            { author_id: input.requesterId, value: input.description, created_at: input.createdAt },
            ...(input.comments ?? []).map((comment) => ({
              author_id: comment.authorId,
              value: comment.body,
              public: comment.public ?? true,
              created_at: comment.createdAt,
            })),
          ],
        },
      });
      return created.ticket.id;
    },
  };
}
