import { registerAnalyticsRoutes } from '../admin/analytics-routes.ts';
import { registerApiKeyRoutes } from '../admin/api-key-routes.ts';
import { registerAuditRoutes } from '../admin/audit-routes.ts';
import { registerBackendRoutes } from '../admin/backend-routes.ts';
import { registerConnectorRoutes } from '../admin/connector-routes.ts';
import { registerCustomConnectorRoutes } from '../admin/custom-connector-routes.ts';
import { registerEvalCompareRoutes } from '../admin/eval-compare-routes.ts';
import { registerEvalRoutes } from '../admin/eval-routes.ts';
import { registerFaultRoutes } from '../admin/fault-routes.ts';
import { registerGoogleRoutes } from '../admin/google-routes.ts';
import { registerHttpConnectorRoutes } from '../admin/http-connector-routes.ts';
import { registerKnowledgeArticleRoutes } from '../admin/knowledge-article-routes.ts';
import { registerKnowledgeRoutes } from '../admin/knowledge-routes.ts';
import { registerKnowledgeSourceRoutes } from '../admin/knowledge-source-routes.ts';
import { registerOAuthRoutes } from '../admin/oauth-routes.ts';
import { registerOutboundWebhookRoutes } from '../admin/outbound-webhook-routes.ts';
import { registerPrivacyRoutes } from '../admin/privacy-routes.ts';
import { registerProcedureRoutes } from '../admin/procedure-routes.ts';
import { requireHuman } from '../auth/human-auth.ts';
import type { RouteGroup } from '../context.ts';

/**
 * Administration (`/api/admin`, role `admin`): connectors (health, credentials, policy, faults),
 * knowledge, the audit log, the embedded outbox, eval runs and privacy operations (export, erase).
 */
export const adminRoutes: RouteGroup = async (app, context) => {
  // Every route of this group, and only these (server.ts gives each group its own scope). On
  // `onRequest`, so nobody without an admin session gets a body parsed (ingest takes 5 MiB) or validated.
  app.addHook('onRequest', requireHuman(context, 'admin'));

  await registerConnectorRoutes(app, context);
  await registerBackendRoutes(app, context);
  await registerCustomConnectorRoutes(app, context);
  await registerProcedureRoutes(app, context);
  await registerHttpConnectorRoutes(app, context);
  await registerOAuthRoutes(app, context);
  await registerGoogleRoutes(app, context);
  await registerFaultRoutes(app, context);
  await registerKnowledgeRoutes(app, context);
  await registerKnowledgeArticleRoutes(app, context);
  await registerKnowledgeSourceRoutes(app, context);
  await registerAuditRoutes(app, context);
  await registerEvalRoutes(app, context);
  await registerEvalCompareRoutes(app, context);
  await registerPrivacyRoutes(app, context);
  await registerOutboundWebhookRoutes(app, context);
  await registerApiKeyRoutes(app, context);
  await registerAnalyticsRoutes(app, context);
};
