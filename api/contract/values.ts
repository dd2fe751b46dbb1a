/**
 * The enumerations of the API contract as plain lists, with no zod: the UI imports these as values
 * (filters, option lists) without pulling zod into its bundle. The schemas of `console.ts` are built
 * from them. This module and its siblings may import only `zod` and each other (docs/architecture.md).
 */

/**
 * Why a conversation went to a human. The agent keeps the same list (agent/escalation-reasons.ts);
 * api/contract/contract.test.ts fails if the two differ.
 */
export const escalationReasons = [
  'connector_failure',
  'low_confidence',
  'policy_requires_human',
  'approval_required',
  'customer_requested',
  'security_sensitive',
  'negative_sentiment',
  'loop_detected',
  'injection_suspected',
] as const;
export type EscalationReason = (typeof escalationReasons)[number];

export const escalationStatuses = ['open', 'claimed', 'resolved', 'handed_back'] as const;
export type EscalationStatus = (typeof escalationStatuses)[number];

/** Most urgent first. */
export const priorities = ['urgent', 'high', 'normal', 'low'] as const;
export type Priority = (typeof priorities)[number];

/** The escalation queue's orders (`GET /api/console/escalations?sort=`). */
export const queueSorts = ['urgency', 'oldest', 'newest'] as const;
export type QueueSort = (typeof queueSorts)[number];

export const messageRoles = ['customer', 'agent', 'human', 'system'] as const;
export type MessageRole = (typeof messageRoles)[number];

export const humanRoles = ['agent', 'admin'] as const;
export type HumanRole = (typeof humanRoles)[number];

export const escalationChanges = [
  'opened',
  'claimed',
  'resolved',
  'handed_back',
  'sla_breached',
  'updated',
] as const;
export type EscalationChange = (typeof escalationChanges)[number];
