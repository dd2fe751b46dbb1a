import cookie from '@fastify/cookie';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify from 'fastify';
import {
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { ApiApp, ApiContext } from './context.ts';
import { conversationTokenRoutes, installConversationTokenGuard } from './customer/access-tokens.ts';
import { installErrorHandling } from './errors.ts';
import { mcpRoutes } from './mcp/http-route.ts';
import { adminRoutes } from './routes/admin.ts';
import { consoleRoutes } from './routes/console.ts';
import { consoleInboxRoutes } from './routes/console-inbox.ts';
import { customerRoutes } from './routes/customer.ts';
import { gmailPushRoutes } from './routes/gmail-push.ts';
import { helpCenterRoutes } from './routes/help-center.ts';
import { opsRoutes } from './routes/ops.ts';
import { uiRoutes } from './routes/ui.ts';
import { webhookRoutes } from './routes/webhooks.ts';
import { installStringRules } from './string-rules.ts';

/** A URL with its `access_token` query value replaced, for logs. */
export const redactQueryToken = (url: string): string => url.replace(/([?&]access_token=)[^&]*/g, '$1***');

export interface ServerOptions {
  logLevel?: string;
  /** Tests pass false to keep output quiet. */
  logger?: boolean;
  /** Where log lines go (default stdout); tests read them. */
  logStream?: { write(line: string): void };
}

/** Builds the Fastify app (not listening): security, validation, OpenAPI at /docs, every route group. */
export async function createServer(context: ApiContext, options: ServerOptions = {}): Promise<ApiApp> {
  const app = Fastify({
    logger:
      options.logger === false
        ? false
        : {
            level: options.logLevel ?? 'info',
            ...(options.logStream ? { stream: options.logStream } : {}),
            redact: ['req.headers.authorization', 'req.headers.cookie', 'req.headers["x-csrf-token"]'],
            serializers: {
              // EventSource cannot send headers, so its conversation token rides in the query: never log it.
              req: (request: { method: string; url: string; ip?: string; id?: string }) => ({
                method: request.method,
                url: redactQueryToken(request.url),
                ip: request.ip,
                id: request.id,
              }),
            },
          },
    bodyLimit: 256 * 1024,
    // Requests carry ids so a log line can be matched to a client's report.
    genReqId: () => crypto.randomUUID(),
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installErrorHandling(app);
  // Before any route group: every route's body, query and params keep the string rules (no NUL),
  // and every route that declares the conversation token has it checked (expiry, revocation, rotation).
  installStringRules(app);
  installConversationTokenGuard(app, context);

  await app.register(helmet, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        frameAncestors: ["'self'"],
        // Behind plain HTTP (a LAN demo) the browser must not be told to fetch assets over https.
        upgradeInsecureRequests: context.settings.secureCookies ? [] : null,
      },
    },
    // The embeddable widget is loaded cross-origin as a script.
    crossOriginResourcePolicy: { policy: 'cross-origin' },
  });
  await app.register(cookie);
  await app.register(rateLimit, {
    global: true,
    max: context.settings.rateLimit.perIpPerMinute,
    timeWindow: 60_000,
    allowList: (request) =>
      request.url === '/healthz' || request.url === '/readyz' || request.url === '/metrics',
    errorResponseBuilder: (_request, limit) => ({
      statusCode: 429,
      message: `Too many requests: try again in ${Math.ceil(limit.ttl / 1000)} s`,
    }),
  });
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'Switchboard API',
        description:
          'Customer conversations, the human-agent console, administration and operations. Every error is `{ error: { code, message } }`.',
        version: '0.1.0',
      },
      components: {
        securitySchemes: {
          conversationToken: {
            type: 'http',
            scheme: 'bearer',
            description: 'The accessToken from POST /api/conversations',
          },
          consoleSession: { type: 'apiKey', in: 'cookie', name: 'sb_session' },
        },
      },
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  for (const group of [
    opsRoutes,
    // One scope: the token routes share the customer routes' CORS.
    async (scope: ApiApp, routeContext: ApiContext) => {
      await customerRoutes(scope, routeContext);
      await conversationTokenRoutes(scope, routeContext);
    },
    helpCenterRoutes,
    consoleRoutes,
    consoleInboxRoutes,
    adminRoutes,
    webhookRoutes,
    gmailPushRoutes,
    mcpRoutes,
    uiRoutes,
  ]) {
    await app.register(async (scope) => group(scope as ApiApp, context));
  }
  return app as unknown as ApiApp;
}
