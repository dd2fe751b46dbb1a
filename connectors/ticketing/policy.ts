import type { ConnectorPolicyInput } from '../core/policy.ts';

/**
 * The ticketing connector's default policy: what each operation's output may show. Internal
 * comments are dropped by `get_ticket` itself unless a human asks.
 */
export const ticketingPolicy = {
  allowedOperations: ['get_ticket', 'list_tickets', 'search_incidents', 'create_ticket', 'add_comment'],
  fields: {
    get_ticket: {
      allow: [
        'id',
        'subject',
        'description',
        'status',
        'priority',
        'category',
        'contact_id',
        'incident_id',
        'incident',
        'created_at',
        'updated_at',
        'comments[].id',
        'comments[].author',
        'comments[].body',
        'comments[].internal',
        'comments[].created_at',
      ],
    },
    list_tickets: {
      allow: [
        'tickets[].id',
        'tickets[].subject',
        'tickets[].status',
        'tickets[].priority',
        'tickets[].category',
        'tickets[].contact_id',
        'tickets[].incident_id',
        'tickets[].created_at',
        'tickets[].updated_at',
      ],
    },
    search_incidents: {
      allow: [
        'incidents[].id',
        'incidents[].title',
        'incidents[].status',
        'incidents[].severity',
        'incidents[].components',
        'incidents[].started_at',
        'incidents[].resolved_at',
        'incidents[].summary',
      ],
    },
    create_ticket: {
      allow: [
        'ticket_id',
        'status',
        'priority',
        'category',
        'subject',
        'created_at',
        'incident',
        'already_exists',
      ],
    },
    add_comment: { allow: ['comment_id', 'ticket_id', 'ticket_status', 'created_at', 'already_added'] },
  },
  segmentRules: [],
  actionLimits: [],
} satisfies ConnectorPolicyInput;
