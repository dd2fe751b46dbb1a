import { BackendConfigError, type BackendView } from '../../connectors/backends/selection.ts';
import type { ConnectorDefinition } from '../../connectors/core/definition.ts';
import { controlChannel } from '../../conversations/live-events.ts';
import type { ApiApp, ApiContext } from '../context.ts';
import {
  type BackendCheck,
  type BackendView as BackendViewBody,
  backendCheckSchema,
  backendChoiceResponseSchema,
  backendChoiceSchema,
  backendKindParamsSchema,
  backendsResponseSchema,
} from '../contract/admin.ts';
import { ApiError } from '../errors.ts';
import { adminSchema, auditAdminChange, iso } from './shared.ts';

const checkTimeoutMs = 10_000;

/**
 * Which system each connector kind runs on: the choices and their settings (secrets write-only),
 * "Test connection" before saving, and the switch itself, applied in this process at once and in
 * every other process through the control channel.
 */
export async function registerBackendRoutes(app: ApiApp, context: ApiContext): Promise<void> {
  const { pool } = context.database;
  const { backends } = context;

  app.get(
    '/api/admin/backends',
    {
      schema: {
        ...adminSchema,
        summary: 'Which backend each connector kind runs on, and the settings of each (secrets never shown)',
        response: { 200: backendsResponseSchema },
      },
    },
    async () => ({ backends: (await backends.describe()).map(viewBody) }),
  );

  app.post(
    '/api/admin/backends/:kind/test',
    {
      schema: {
        ...adminSchema,
        summary:
          'Test connection: builds the backend from the given (or stored) settings and runs its check, storing nothing',
        params: backendKindParamsSchema,
        body: backendChoiceSchema,
        response: { 200: backendCheckSchema },
      },
    },
    async (request) => {
      const { kind } = request.params;
      const candidate = await configured(() => backends.candidate(kind, request.body.backend, request.body));
      if (!candidate) return { ok: true, detail: 'the built-in backend (our own tables)', latencyMs: 0 };
      return check(candidate);
    },
  );

  app.put(
    '/api/admin/backends/:kind',
    {
      schema: {
        ...adminSchema,
        summary:
          'Choose the backend of a connector kind (secrets stored encrypted); applied at once in every process',
        params: backendKindParamsSchema,
        body: backendChoiceSchema,
        response: { 200: backendChoiceResponseSchema },
      },
    },
    async (request) => {
      const { kind } = request.params;
      const human = request.human!;
      const { backend, settings, secrets } = request.body;
      await configured(() => backends.choose(kind, backend, request.body, human.email));
      const definition = await backends.build(kind);
      context.switchboard.useBackend(kind, definition);
      await context.bus.publish(controlChannel, {
        kind: 'backends',
        connectorKind: kind,
        origin: context.instanceId,
      });
      // Field names only: the audit row and the log line never hold a value of a secret.
      const detail = {
        backend,
        settings: Object.keys(settings),
        secrets_set: Object.keys(secrets).filter((field) => secrets[field] !== null),
        secrets_removed: Object.keys(secrets).filter((field) => secrets[field] === null),
      };
      await auditAdminChange(pool, human, kind, 'admin.choose_backend', detail);
      request.log.info({ kind, ...detail, adminId: human.id }, 'connector backend chosen');
      const view = (await backends.describe()).find((candidate) => candidate.kind === kind)!;
      return {
        view: viewBody(view),
        check: definition
          ? await check(definition)
          : { ok: true, detail: 'the built-in backend', latencyMs: 0 },
      };
    },
  );
}

/** Runs a selection step, turning an incomplete or pinned choice into a 400/409 the page can show. */
async function configured<T>(step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    if (error instanceof BackendConfigError) {
      throw new ApiError(error.reason === 'pinned' ? 'conflict' : 'validation_failed', error.message);
    }
    throw error;
  }
}

async function check(definition: ConnectorDefinition): Promise<BackendCheck> {
  const started = performance.now();
  try {
    const result = await definition.check(AbortSignal.timeout(checkTimeoutMs));
    return { ...result, latencyMs: Math.round(performance.now() - started) };
  } catch (error) {
    const timedOut = (error as Error).name === 'TimeoutError' || (error as Error).name === 'AbortError';
    return {
      ok: false,
      detail: timedOut ? `no answer within ${checkTimeoutMs / 1000} s` : (error as Error).message,
      latencyMs: Math.round(performance.now() - started),
    };
  }
}

const viewBody = (view: BackendView): BackendViewBody => ({ ...view, updatedAt: iso(view.updatedAt) });
