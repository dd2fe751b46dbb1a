import { z } from 'zod';

/**
 * The admin API's contract (`/api/admin`, role admin): the request and response schemas the routes in
 * api/admin/ validate with and the admin UI takes its types from (`z.infer`). Imports only zod and the
 * other contract modules, so the UI bundle can import it (docs/architecture.md, "The API contract").
 * A connector's policy body is the connector's own schema (connectors/core/policy.ts), so here it is
 * an open record.
 */

// ── Connectors ────────────────────────────────────────────────────────────────────────────────────

/** A connector id in a path. */
export const connectorParamsSchema = z.object({
  id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'not a connector id'),
});

export const connectorLastErrorSchema = z.object({ kind: z.string(), message: z.string(), at: z.string() });

/** One minute of a connector's calls. */
export const latencyBucketSchema = z.object({
  minute: z.string(),
  calls: z.number(),
  failures: z.number(),
  p95LatencyMs: z.number(),
});

export const credentialStates = ['ok', 'missing', 'expiring', 'expired', 'invalid', 'not_required'] as const;

/** What the admin page shows of a connector's credentials: field names and dates, never values. */
export const credentialSummarySchema = z.object({
  state: z.enum(credentialStates),
  fields: z.array(
    z.object({
      field: z.string(),
      set: z.boolean(),
      updatedAt: z.string(),
      expiresAt: z.string().nullable(),
    }),
  ),
});

export const connectorHealthSchema = z.object({
  status: z.enum(['ok', 'degraded', 'down', 'idle']),
  windowMinutes: z.number(),
  calls: z.number(),
  failures: z.number(),
  successRate: z.number().nullable(),
  p50LatencyMs: z.number().nullable(),
  p95LatencyMs: z.number().nullable(),
  /** This process's breaker combined with the state every process shares (with Redis). */
  circuit: z.enum(['closed', 'half_open', 'open']),
  /** While the shared state holds the circuit open: until when (half-open after it), and why. */
  circuitOpenUntil: z.string().nullable(),
  circuitReason: z.string().nullable(),
  lastError: connectorLastErrorSchema.nullable(),
  /** p95 latency per minute, oldest first. */
  latency: z.array(latencyBucketSchema),
});

export const connectorOperationSchema = z.object({
  name: z.string(),
  effect: z.enum(['read', 'write']),
  description: z.string(),
});

export const connectorSummarySchema = z.object({
  id: z.string(),
  title: z.string(),
  operations: z.array(connectorOperationSchema),
  health: connectorHealthSchema,
  credentials: credentialSummarySchema,
});

/** `GET /api/admin/connectors`. */
export const connectorListResponseSchema = z.object({ connectors: z.array(connectorSummarySchema) });

/** `GET /api/admin/connectors/:id`. */
export const connectorDetailResponseSchema = connectorSummarySchema.extend({
  recentCalls: z.array(z.object({ at: z.string(), latencyMs: z.number(), ok: z.boolean() })),
  policy: z.record(z.string(), z.unknown()),
});

/** `POST /api/admin/connectors/:id/test`. */
export const connectorTestResponseSchema = z.object({
  ok: z.boolean(),
  detail: z.string(),
  latencyMs: z.number(),
});

const credentialFieldName = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/, 'a field name is letters, digits and _ (e.g. api_key)');

/** `PUT /api/admin/connectors/:id/credentials`: field → secret; `null` removes the field. Never returned. */
export const credentialsBodySchema = z
  .record(credentialFieldName, z.string().min(1, 'a credential value is empty').max(16_384).nullable())
  .refine((fields) => Object.keys(fields).length > 0, 'give at least one field')
  .refine((fields) => Object.keys(fields).length <= 20, 'at most 20 fields at once');

export const credentialsResponseSchema = z.object({
  connectorId: z.string(),
  fields: z.array(z.object({ field: z.string(), updatedAt: z.string() })),
  removed: z.array(z.string()),
  updatedAt: z.string(),
});

/** `GET` / `PUT` / `DELETE /api/admin/connectors/:id/policy`. */
export const policyViewSchema = z.object({
  connectorId: z.string(),
  /** `stored`: an admin's override; `default`: the policy the connector ships with. */
  source: z.enum(['stored', 'default']),
  updatedBy: z.string().nullable(),
  updatedAt: z.string().nullable(),
  policy: z.record(z.string(), z.unknown()),
});

/** `DELETE /api/admin/connectors/:id/policy`: the default policy now in force, and whether an override was removed. */
export const policyResetResponseSchema = policyViewSchema.extend({ removed: z.boolean() });

// ── Faults ────────────────────────────────────────────────────────────────────────────────────────

export const faultModes = ['error', 'timeout', 'slow', 'malformed'] as const;

export const faultViewSchema = z.object({
  connector: z.string(),
  operation: z.string(),
  mode: z.enum(faultModes),
  times: z.number(),
  delayMs: z.number().optional(),
});

/** `POST /api/admin/faults`. */
export const armFaultBodySchema = z.object({
  connector: z.string().min(1).max(64),
  /** One operation, or every operation of the connector (default). */
  operation: z.string().min(1).max(100).default('*'),
  mode: z.enum(faultModes),
  /** Vendor calls the fault answers (each retry attempt is one); the default lasts until cleared. */
  count: z.number().int().min(1).max(1_000_000).default(100_000),
  /** For `slow`: how long each call is held (default 3 s). */
  delayMs: z.number().int().min(1).max(120_000).optional(),
});

/** Every faults route answers the faults now armed. */
export const faultsResponseSchema = z.object({ armed: z.array(faultViewSchema) });

// ── Knowledge ─────────────────────────────────────────────────────────────────────────────────────

const slugPattern = /^[a-z0-9]+(-[a-z0-9]+)*$/;
const articlePath = z
  .string()
  .min(1)
  .max(300)
  .regex(
    /^[\w.-]+(\/[\w.-]+)*\.(md|markdown|html|htm|txt)$/i,
    'a relative file name ending .md, .html or .txt',
  )
  .refine((path) => !path.split('/').includes('..'), 'must not contain ..');

/** One article: Markdown (or HTML/text) with front matter; named by a file path or by its slug. */
export const articleInputSchema = z
  .object({
    path: articlePath.optional(),
    slug: z.string().max(200).regex(slugPattern, 'must be kebab-case (a-z, 0-9, -)').optional(),
    content: z.string().min(1).max(1_000_000),
    /** Required unless the content says it (front matter, `<meta name="visibility">`): never a silent default. */
    visibility: z.enum(['public', 'internal']).optional(),
  })
  .refine((article) => article.path !== undefined || article.slug !== undefined, 'give a path or a slug');

/** `POST /api/admin/knowledge/articles`: one article or `{ articles }`. */
export const ingestBodySchema = z.union([
  z.object({ articles: z.array(articleInputSchema).min(1).max(500) }),
  articleInputSchema,
]);
export const ingestResponseSchema = z.object({ queued: z.number(), slugs: z.array(z.string()) });

export const articleSummarySchema = z.object({
  slug: z.string(),
  title: z.string(),
  url: z.string().nullable(),
  category: z.string().nullable(),
  tags: z.array(z.string()),
  visibility: z.enum(['public', 'internal']),
  /** False: taken out of search by an admin (no chunks), kept for editing. */
  published: z.boolean(),
  chunks: z.number(),
  updatedAt: z.string(),
  ingestedAt: z.string(),
});

/** `GET /api/admin/knowledge/articles`. */
export const articleListResponseSchema = z.object({
  articles: z.array(articleSummarySchema),
  model: z.string().nullable(),
});

/** `GET /api/admin/knowledge/search`. */
export const knowledgeSearchQuerySchema = z.object({
  q: z.string().trim().min(1, 'the query is empty').max(1000),
  limit: z.coerce.number().int().min(1).max(50).default(5),
  audience: z.enum(['public', 'internal']).default('public'),
  mode: z.enum(['hybrid', 'vector', 'fulltext']).default('hybrid'),
});

export const searchHitSchema = z.object({
  slug: z.string(),
  title: z.string(),
  heading: z.string(),
  url: z.string().nullable(),
  snippet: z.string(),
  score: z.number(),
  vectorScore: z.number().nullable(),
  textScore: z.number().nullable(),
});

export const knowledgeSearchResponseSchema = z.object({
  query: z.string(),
  results: z.array(searchHitSchema),
  timings: z.object({ embeddingMs: z.number(), searchMs: z.number() }),
});

// ── Audit log and outbox ──────────────────────────────────────────────────────────────────────────

/** `GET /api/admin/audit`. */
export const auditQuerySchema = z.object({
  before: z
    .string()
    .regex(/^\d{1,18}$/, 'an audit entry id')
    .optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  connector: z.string().min(1).max(64).optional(),
  outcome: z.string().min(1).max(40).optional(),
  conversation: z.string().min(1).max(100).optional(),
});

export const auditEntrySchema = z.object({
  id: z.string(),
  at: z.string(),
  conversationId: z.string().nullable(),
  actor: z.string(),
  accountId: z.string().nullable(),
  connectorId: z.string(),
  operation: z.string(),
  effect: z.enum(['read', 'write']),
  idempotencyKey: z.string().nullable(),
  outcome: z.string(),
  errorKind: z.string().nullable(),
  latencyMs: z.number(),
  stale: z.boolean(),
  /** Redacted when written: input (without secrets), error message, approvals, the actor's id. */
  detail: z.record(z.string(), z.unknown()),
});

export const auditResponseSchema = z.object({
  entries: z.array(auditEntrySchema),
  nextBefore: z.string().nullable(),
});

export const outboxStatuses = ['queued', 'sending', 'sent', 'failed'] as const;

/** `GET /api/admin/outbox` (embedded demo only). */
export const outboxQuerySchema = z.object({
  status: z.enum(outboxStatuses).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

export const outboxEntrySchema = z.object({
  id: z.string(),
  messageId: z.string(),
  conversationId: z.string().nullable(),
  to: z.string(),
  from: z.string(),
  subject: z.string(),
  textBody: z.string(),
  template: z.string().nullable(),
  status: z.enum(outboxStatuses),
  attempts: z.number(),
  lastError: z.string().nullable(),
  createdAt: z.string(),
  sentAt: z.string().nullable(),
});

export const outboxResponseSchema = z.object({ messages: z.array(outboxEntrySchema) });

// ── Eval runs ─────────────────────────────────────────────────────────────────────────────────────

/** `POST /api/admin/evals`. */
export const startEvalBodySchema = z.object({
  suite: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/i, 'a suite name such as smoke or core'),
  baseline: z.enum(['kb-only']).nullable().optional(),
  filter: z.string().trim().min(1).max(200).nullable().optional(),
});
export const startEvalResponseSchema = z.object({ runId: z.string(), scenarios: z.number() });

/** `GET /api/admin/evals`. */
export const evalListQuerySchema = z.object({
  suite: z.string().max(64).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

/** `GET /api/admin/evals/:id`. */
export const evalRunParamsSchema = z.object({ id: z.string().regex(/^[\w-]{1,100}$/, 'not an eval run id') });

/** One side's metrics (the agent, or the kb-only baseline), as rates in [0, 1]. */
export const evalMetricsSchema = z.object({
  scenarios: z.number(),
  total: z.number(),
  resolutionRate: z.number(),
  correctHandlingRate: z.number(),
  harmfulRate: z.number(),
  harmfulActions: z.number(),
  falseResolutionRate: z.number(),
  passHatK: z.number(),
  errors: z.number(),
  latencyP50Ms: z.number().nullable(),
  latencyP95Ms: z.number().nullable(),
});

export const evalRunSummarySchema = z.object({
  id: z.string(),
  suite: z.string(),
  options: z.record(z.string(), z.unknown()),
  status: z.enum(['running', 'finished', 'abandoned']),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  agent: evalMetricsSchema.nullable(),
  baseline: evalMetricsSchema.nullable(),
  thresholdFailures: z.array(z.string()),
  /** How far the run is: runs done / total, passed / failed so far (null: not started or an old row). */
  progress: z
    .object({
      done: z.number(),
      total: z.number(),
      passed: z.number(),
      failed: z.number(),
      errors: z.number(),
      last: z.object({ id: z.string(), passed: z.boolean() }).nullable(),
      updatedAt: z.string(),
    })
    .nullable(),
});

export const evalListResponseSchema = z.object({ runs: z.array(evalRunSummarySchema) });

export const scenarioResultSchema = z.object({
  id: z.string(),
  title: z.string(),
  tags: z.array(z.string()),
  run: z.number(),
  baseline: z.string(),
  conversationId: z.string().nullable(),
  passed: z.boolean(),
  failures: z.array(z.string()),
  checks: z.array(z.object({ name: z.string(), passed: z.boolean() })),
  harmful: z.array(z.string()),
  expectedOutcome: z.string(),
  actualOutcome: z.string(),
  falseResolution: z.boolean(),
  durationMs: z.number(),
  turnLatenciesMs: z.array(z.number()),
  transcript: z.array(z.record(z.string(), z.unknown())),
  error: z.string().nullable(),
});

export const evalRunDetailResponseSchema = evalRunSummarySchema.extend({
  results: z.array(scenarioResultSchema),
});

export type ConnectorHealth = z.infer<typeof connectorHealthSchema>;
export type CredentialSummary = z.infer<typeof credentialSummarySchema>;
export type CredentialState = (typeof credentialStates)[number];
export type ConnectorSummary = z.infer<typeof connectorSummarySchema>;
export type ConnectorListResponse = z.infer<typeof connectorListResponseSchema>;
export type ConnectorDetailResponse = z.infer<typeof connectorDetailResponseSchema>;
export type ConnectorTestResponse = z.infer<typeof connectorTestResponseSchema>;
export type CredentialsBody = z.input<typeof credentialsBodySchema>;
export type CredentialsResponse = z.infer<typeof credentialsResponseSchema>;
export type PolicyView = z.infer<typeof policyViewSchema>;
export type PolicyResetResponse = z.infer<typeof policyResetResponseSchema>;
export type FaultMode = (typeof faultModes)[number];
export type FaultView = z.infer<typeof faultViewSchema>;
export type ArmFaultBody = z.input<typeof armFaultBodySchema>;
export type FaultsResponse = z.infer<typeof faultsResponseSchema>;
export type ArticleInput = z.input<typeof articleInputSchema>;
export type IngestBody = z.input<typeof ingestBodySchema>;
export type IngestResponse = z.infer<typeof ingestResponseSchema>;
export type ArticleSummary = z.infer<typeof articleSummarySchema>;
export type ArticleListResponse = z.infer<typeof articleListResponseSchema>;
export type KnowledgeSearchQuery = z.input<typeof knowledgeSearchQuerySchema>;
export type SearchHit = z.infer<typeof searchHitSchema>;
export type KnowledgeSearchResponse = z.infer<typeof knowledgeSearchResponseSchema>;
export type AuditEntry = z.infer<typeof auditEntrySchema>;
export type AuditResponse = z.infer<typeof auditResponseSchema>;
export type OutboxEntry = z.infer<typeof outboxEntrySchema>;
export type OutboxResponse = z.infer<typeof outboxResponseSchema>;
export type StartEvalBody = z.input<typeof startEvalBodySchema>;
export type StartEvalResponse = z.infer<typeof startEvalResponseSchema>;
export type EvalMetrics = z.infer<typeof evalMetricsSchema>;
export type EvalRunSummary = z.infer<typeof evalRunSummarySchema>;
export type EvalListResponse = z.infer<typeof evalListResponseSchema>;
export type ScenarioResult = z.infer<typeof scenarioResultSchema>;
export type EvalRunDetail = z.infer<typeof evalRunDetailResponseSchema>;

// ── Backends (which system each connector kind runs on) ───────────────────────────────────────────

export const selectableKindSchema = z.enum(['billing', 'crm', 'ticketing', 'calendar']);
export const backendKindParamsSchema = z.object({ kind: selectableKindSchema });

/** One setting of a vendor backend: secrets show only whether they are set, never a value. */
export const backendFieldSchema = z.object({
  name: z.string(),
  label: z.string(),
  help: z.string(),
  secret: z.boolean(),
  required: z.boolean(),
  /** The environment variable that sets it; when it is set there, the page cannot change it. */
  env: z.string(),
  source: z.enum(['environment', 'stored']).nullable(),
  value: z.string().nullable(),
});

export const backendViewSchema = z.object({
  kind: selectableKindSchema,
  /** `builtin` (our own tables) or a vendor backend's id. */
  backend: z.string(),
  pinnedBy: z.string().nullable(),
  updatedBy: z.string().nullable(),
  updatedAt: z.string().nullable(),
  options: z.array(z.object({ id: z.string(), title: z.string(), fields: z.array(backendFieldSchema) })),
});
export const backendsResponseSchema = z.object({ backends: z.array(backendViewSchema) });

const settingValue = z.string().max(20_000);
/** A choice: the backend, its non-secret settings, and secrets to store (null removes one). */
export const backendChoiceSchema = z.strictObject({
  backend: z.string().regex(/^[a-z][a-z0-9_-]{0,31}$/, 'not a backend id'),
  settings: z.record(z.string().max(64), settingValue).default({}),
  secrets: z.record(z.string().max(64), settingValue.min(1).nullable()).default({}),
});

export const backendCheckSchema = z.object({ ok: z.boolean(), detail: z.string(), latencyMs: z.number() });
export const backendChoiceResponseSchema = z.object({ view: backendViewSchema, check: backendCheckSchema });

export type BackendView = z.infer<typeof backendViewSchema>;
export type BackendField = z.infer<typeof backendFieldSchema>;
export type BackendChoice = z.input<typeof backendChoiceSchema>;
export type BackendCheck = z.infer<typeof backendCheckSchema>;

// ── Privacy (docs/privacy.md) ───────────────────────────────────────────────────────────────────────
// The export document and the erasure result restate conversations/privacy.ts (their owner); the two
// are checked equal in api/contract/privacy.test.ts.

/** A contact id in a path. */
export const privacyContactParamsSchema = z.object({
  contactId: z.string().min(1).max(200),
});

/** Export by address: `GET /api/admin/privacy/export?email=`. */
export const privacyExportQuerySchema = z.object({ email: z.email().max(320) });

/** Erasure must be confirmed with the contact's email address (for an erased contact: the one it had). */
export const privacyEraseBodySchema = z.strictObject({
  confirmEmail: z.string().min(1).max(320),
});

const privacyTimestamp = z.string();
const privacyJsonRecord = z.record(z.string(), z.unknown());

export const privacyMessageSchema = z.object({
  id: z.string(),
  role: z.enum(['customer', 'agent', 'human', 'system']),
  body: z.string(),
  /** The message's metadata: for inbound mail the stored original (sender, subject, headers, verdict). */
  metadata: privacyJsonRecord,
  createdAt: privacyTimestamp,
});

export const privacyEscalationSchema = z.object({
  id: z.string(),
  reason: z.string(),
  priority: z.string(),
  status: z.string(),
  /** The escalation packet: identity, intent, connector calls, the pending action (approvals), transcript. */
  packet: privacyJsonRecord,
  claimedBy: z.string().nullable(),
  createdAt: privacyTimestamp,
  claimedAt: privacyTimestamp.nullable(),
  resolvedAt: privacyTimestamp.nullable(),
});

export const privacyConversationSchema = z.object({
  id: z.string(),
  channel: z.enum(['chat', 'email']),
  status: z.string(),
  outcome: z.string().nullable(),
  subject: z.string().nullable(),
  verified: z.boolean(),
  verifiedBy: z.string().nullable(),
  verifiedChannel: z.string().nullable(),
  verifiedAt: privacyTimestamp.nullable(),
  /** The customer's access token: whether one was issued and its lifecycle (never the token or its hash). */
  accessToken: z.object({
    issued: z.boolean(),
    verified: z.boolean(),
    expiresAt: privacyTimestamp.nullable(),
    revokedAt: privacyTimestamp.nullable(),
  }),
  /** How many agent checkpoints (the agent's memory of this conversation) are stored. */
  agentCheckpoints: z.number().int(),
  createdAt: privacyTimestamp,
  updatedAt: privacyTimestamp,
  messages: z.array(privacyMessageSchema),
  escalations: z.array(privacyEscalationSchema),
});

export const privacyExportSchema = z.object({
  format: z.literal('switchboard.privacy-export.v1'),
  generatedAt: privacyTimestamp,
  contact: z.object({
    id: z.string(),
    accountId: z.string(),
    name: z.string(),
    email: z.string(),
    phone: z.string().nullable(),
    title: z.string().nullable(),
    timezone: z.string(),
    externalRef: z.string().nullable(),
    createdAt: privacyTimestamp,
    updatedAt: privacyTimestamp,
  }),
  /** Set when the contact was erased (the rest of the document is what remains). */
  erasure: z
    .object({ erasedAt: privacyTimestamp, lastErasedAt: privacyTimestamp, erasedBy: z.string() })
    .nullable(),
  /** The contact's account; the owner fields only when the contact is its owner. */
  account: z
    .object({
      id: z.string(),
      name: z.string(),
      tier: z.string(),
      region: z.string(),
      contactIsOwner: z.boolean(),
      ownerName: z.string().nullable(),
      ownerEmail: z.string().nullable(),
      createdAt: privacyTimestamp,
    })
    .nullable(),
  conversations: z.array(privacyConversationSchema),
  /** One-time codes sent for the contact: metadata only (never the code or its hash). */
  verificationCodes: z.array(
    z.object({
      id: z.string(),
      conversationId: z.string(),
      purpose: z.string(),
      targetEmail: z.string().nullable(),
      attempts: z.number().int(),
      expiresAt: privacyTimestamp,
      consumedAt: privacyTimestamp.nullable(),
      createdAt: privacyTimestamp,
    }),
  ),
  /** Update-payment links sent to the contact: metadata only (never the token or its hash). */
  paymentLinks: z.array(
    z.object({
      id: z.string(),
      expiresAt: privacyTimestamp,
      usedAt: privacyTimestamp.nullable(),
      createdAt: privacyTimestamp,
    }),
  ),
  tickets: z.array(
    z.object({
      id: z.string(),
      subject: z.string(),
      description: z.string(),
      status: z.string(),
      priority: z.string(),
      category: z.string(),
      requesterEmail: z.string().nullable(),
      conversationId: z.string().nullable(),
      createdAt: privacyTimestamp,
      updatedAt: privacyTimestamp,
      comments: z.array(
        z.object({
          id: z.string(),
          author: z.string(),
          body: z.string(),
          internal: z.boolean(),
          createdAt: privacyTimestamp,
        }),
      ),
    }),
  ),
  /** CRM history about the contact (notes, calls, emails). */
  interactions: z.array(
    z.object({
      id: z.string(),
      kind: z.string(),
      body: z.string(),
      author: z.string(),
      createdAt: privacyTimestamp,
    }),
  ),
  bookings: z.array(
    z.object({
      id: z.string(),
      engineerId: z.string(),
      startAt: privacyTimestamp,
      endAt: privacyTimestamp,
      status: z.string(),
      topic: z.string().nullable(),
      createdAt: privacyTimestamp,
    }),
  ),
  /** Connector calls made on the contact's behalf, and other audit rows that name them. */
  auditEntries: z.array(
    z.object({
      id: z.string(),
      at: privacyTimestamp,
      conversationId: z.string().nullable(),
      actor: z.string(),
      connectorId: z.string(),
      operation: z.string(),
      effect: z.string(),
      outcome: z.string(),
      errorKind: z.string().nullable(),
      idempotencyKey: z.string().nullable(),
      detail: privacyJsonRecord,
    }),
  ),
  /** The idempotency ledger's records of writes made for the contact (a refund, an email). */
  idempotencyRecords: z.array(
    z.object({
      key: z.string(),
      connectorId: z.string(),
      operation: z.string(),
      status: z.string(),
      result: z.unknown(),
      createdAt: privacyTimestamp,
      completedAt: privacyTimestamp.nullable(),
    }),
  ),
  /** Mail Switchboard sent to the contact, or in their conversations. */
  outboxEmails: z.array(
    z.object({
      id: z.string(),
      messageId: z.string(),
      conversationId: z.string().nullable(),
      to: z.string(),
      from: z.string(),
      subject: z.string(),
      textBody: z.string(),
      template: z.string().nullable(),
      status: z.string(),
      createdAt: privacyTimestamp,
      sentAt: privacyTimestamp.nullable(),
    }),
  ),
  /** Knowledge articles whose title or body names the contact (address or id). */
  knowledgeDocuments: z.array(
    z.object({
      slug: z.string(),
      title: z.string(),
      url: z.string().nullable(),
      visibility: z.string(),
      updatedAt: privacyTimestamp,
    }),
  ),
});
export const erasureCountsSchema = z.object({
  contact: z.number().int(),
  accountOwner: z.number().int(),
  conversations: z.number().int(),
  messages: z.number().int(),
  escalations: z.number().int(),
  verificationCodes: z.number().int(),
  checkpoints: z.number().int(),
  outboxEmails: z.number().int(),
  outboxFiles: z.number().int(),
  auditEntries: z.number().int(),
  idempotencyRecords: z.number().int(),
  tickets: z.number().int(),
  ticketComments: z.number().int(),
  interactions: z.number().int(),
  bookings: z.number().int(),
  paymentLinks: z.number().int(),
  knowledgeDocuments: z.number().int(),
});

export const erasureResultSchema = z.object({
  contactId: z.string(),
  /** The contact had been erased before: this run removed only what was left or came since. */
  alreadyErased: z.boolean(),
  erasedAt: privacyTimestamp,
  counts: erasureCountsSchema,
});

export type PrivacyExport = z.infer<typeof privacyExportSchema>;
export type PrivacyEraseBody = z.input<typeof privacyEraseBodySchema>;
export type ErasureResult = z.infer<typeof erasureResultSchema>;
