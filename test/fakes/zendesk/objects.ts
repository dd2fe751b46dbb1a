/** The fake's records and how they render as Zendesk's JSON (a subset of each object's fields). */

export type FakeRole = 'end-user' | 'agent' | 'admin';
export type FakeStatus = 'new' | 'open' | 'pending' | 'hold' | 'solved' | 'closed';
export type FakePriority = 'urgent' | 'high' | 'normal' | 'low';
export type FakeType = 'problem' | 'incident' | 'question' | 'task';

export interface FakeUser {
  id: number;
  name: string;
  email: string;
  role: FakeRole;
  created_at: string;
  updated_at: string;
}

export interface FakeComment {
  id: number;
  author_id: number;
  body: string;
  public: boolean;
  audit_id: number;
  created_at: string;
}

export interface FakeTicket {
  id: number;
  subject: string;
  status: FakeStatus;
  priority: FakePriority | null;
  type: FakeType | null;
  requester_id: number;
  submitter_id: number;
  assignee_id: number | null;
  problem_id: number | null;
  /** An id from another system (Zendesk's `external_id`), e.g. a migrated ticket's old reference. */
  external_id: string | null;
  tags: string[];
  created_at: string;
  updated_at: string;
  comments: FakeComment[];
}

/** Zendesk's timestamps: ISO 8601 in UTC, to the second (`2026-11-20T09:00:00Z`). */
export const stamp = (ms: number) =>
  new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');

export function renderUser(base: string, user: FakeUser) {
  return {
    id: user.id,
    url: `${base}/api/v2/users/${user.id}.json`,
    name: user.name,
    email: user.email,
    role: user.role,
    active: true,
    verified: true,
    suspended: false,
    locale: 'en-US',
    time_zone: 'UTC',
    organization_id: null,
    external_id: null,
    tags: [],
    created_at: user.created_at,
    updated_at: user.updated_at,
  };
}

export function renderTicket(base: string, ticket: FakeTicket, all: Map<number, FakeTicket>) {
  return {
    url: `${base}/api/v2/tickets/${ticket.id}.json`,
    id: ticket.id,
    external_id: ticket.external_id,
    via: { channel: 'api', source: { from: {}, to: {}, rel: null } },
    created_at: ticket.created_at,
    updated_at: ticket.updated_at,
    type: ticket.type,
    subject: ticket.subject,
    raw_subject: ticket.subject,
    description: ticket.comments[0]?.body ?? '',
    priority: ticket.priority,
    status: ticket.status,
    recipient: null,
    requester_id: ticket.requester_id,
    submitter_id: ticket.submitter_id,
    assignee_id: ticket.assignee_id,
    organization_id: null,
    group_id: null,
    collaborator_ids: [],
    follower_ids: [],
    email_cc_ids: [],
    problem_id: ticket.problem_id,
    has_incidents: [...all.values()].some((other) => other.problem_id === ticket.id),
    is_public: ticket.comments.some((comment) => comment.public),
    due_at: null,
    tags: ticket.tags,
    custom_fields: [],
    satisfaction_rating: null,
    allow_channelback: false,
    allow_attachments: true,
  };
}

export function renderComment(comment: FakeComment) {
  return {
    id: comment.id,
    type: 'Comment',
    author_id: comment.author_id,
    body: comment.body,
    html_body: `<div class="zd-comment"><p>${escapeHtml(comment.body)}</p></div>`,
    plain_body: comment.body,
    public: comment.public,
    attachments: [],
    audit_id: comment.audit_id,
    via: { channel: 'api', source: { from: {}, to: {}, rel: null } },
    metadata: { system: {}, custom: {} },
    created_at: comment.created_at,
  };
}

const escapeHtml = (text: string) =>
  text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');
