import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { declaredIntent } from '../../agent/procedures/declarative/compile.ts';
import {
  deleteProcedure,
  getProcedure,
  listProcedures,
  ProcedureSaveConflict,
  procedureVersions,
  type StoredProcedure,
  saveProcedure,
  setProcedureEnabled,
} from '../../agent/procedures/declarative/store.ts';
import { controlChannel } from '../../conversations/live-events.ts';
import type { ApiApp, ApiContext } from '../context.ts';
import {
  type ProcedureView,
  procedureBodySchema,
  procedureDeletedSchema,
  procedureEnabledBodySchema,
  procedureListSchema,
  procedureParamsSchema,
  procedureSavedSchema,
  procedureVersionsSchema,
  procedureViewSchema,
} from '../contract/procedures.ts';
import { ApiError } from '../errors.ts';
import { adminSchema, auditAdminChange, iso } from './shared.ts';

/**
 * The admin's declarative procedures (docs/procedures.md): saved as versions after validation (a bad
 * one is a 400 naming the path of the problem, and nothing is stored), switched on and off, deleted.
 * Each change is loaded into this process's agent at once and into every other through the control
 * channel.
 */
export async function registerProcedureRoutes(app: ApiApp, context: ApiContext): Promise<void> {
  const { pool } = context.database;
  const { procedures } = context.switchboard;

  /** Reloads this process's procedures and tells the others to. */
  const applied = async (procedureId: string) => {
    await procedures.reload();
    await context.bus.publish(controlChannel, {
      kind: 'procedures',
      procedureId,
      origin: context.instanceId,
    });
  };

  const view = (row: StoredProcedure): ProcedureView => {
    const state = procedures.states().find((candidate) => candidate.id === row.id);
    return {
      id: row.id,
      intent: declaredIntent(row.id),
      title: row.title,
      version: row.version,
      enabled: row.enabled,
      source: row.source,
      updatedAt: iso(row.updatedAt)!,
      updatedBy: row.updatedBy,
      state: !row.enabled
        ? 'disabled'
        : state?.error
          ? 'invalid'
          : state?.version === row.version
            ? 'loaded'
            : 'pending',
      problem: row.enabled ? (state?.error ?? null) : null,
    };
  };

  const found = async (id: string) => {
    const row = await getProcedure(pool, id);
    if (!row) throw new ApiError('not_found', `No procedure "${id}"`);
    return row;
  };

  app.get(
    '/api/admin/procedures',
    {
      schema: {
        ...adminSchema,
        summary: 'The declarative procedures: YAML, version, and whether the agent runs each',
        response: { 200: procedureListSchema },
      },
    },
    async () => ({ procedures: (await listProcedures(pool)).map(view) }),
  );

  app.get(
    '/api/admin/procedures/:id/versions',
    {
      schema: {
        ...adminSchema,
        summary: 'Every saved version of a procedure, newest first',
        params: procedureParamsSchema,
        response: { 200: procedureVersionsSchema },
      },
    },
    async (request) => {
      const versions = await procedureVersions(pool, request.params.id);
      if (versions.length === 0) throw new ApiError('not_found', `No procedure "${request.params.id}"`);
      return { versions: versions.map((version) => ({ ...version, createdAt: iso(version.createdAt)! })) };
    },
  );

  // The YAML itself may be the body (`Content-Type: application/yaml`, e.g. `curl --data-binary
  // @order-status.yaml`): it arrives as `{ source }`, like the JSON form. Set on this route only.
  const yamlTypes = ['application/yaml', 'application/x-yaml', 'text/yaml'];
  const yamlBody = async (scope: ApiApp) => {
    for (const type of yamlTypes)
      if (!scope.hasContentTypeParser(type))
        scope.addContentTypeParser(
          type,
          { parseAs: 'string', bodyLimit: 64 * 1024 },
          (_request, body, done) => done(null, { source: body }),
        );
  };

  await app.register(async (plain) => {
    const scope = plain.withTypeProvider<ZodTypeProvider>();
    await yamlBody(scope);
    scope.put(
      '/api/admin/procedures/:id',
      {
        schema: {
          ...adminSchema,
          summary:
            'Save a procedure (YAML) as its next version: validated against the connectors and the built-in intents (a 400 names the path of the problem; nothing is stored); applied at once in every process',
          params: procedureParamsSchema,
          body: procedureBodySchema,
          response: { 200: procedureSavedSchema },
        },
      },
      async (request) => {
        const { id } = request.params;
        const human = request.human!;
        const checked = await procedures.validate(id, request.body.source);
        if (!checked.ok) {
          const [first] = checked.issues;
          throw new ApiError('validation_failed', `${first!.path}: ${first!.message}`, {
            issues: checked.issues,
          });
        }
        let saved: StoredProcedure;
        try {
          saved = await saveProcedure(
            pool,
            { id, title: checked.definition.title, source: request.body.source },
            human.email,
          );
        } catch (error) {
          if (error instanceof ProcedureSaveConflict) throw new ApiError('conflict', error.message);
          throw error;
        }
        await auditAdminChange(pool, human, `procedure:${id}`, 'admin.save_procedure', {
          version: saved.version,
        });
        await applied(id);
        return { ...view(saved), warnings: checked.warnings };
      },
    );
  });

  app.put(
    '/api/admin/procedures/:id/enabled',
    {
      schema: {
        ...adminSchema,
        summary: 'Switch a procedure on or off (its YAML is kept)',
        params: procedureParamsSchema,
        body: procedureEnabledBodySchema,
        response: { 200: procedureViewSchema },
      },
    },
    async (request) => {
      const { id } = request.params;
      const human = request.human!;
      if (!(await setProcedureEnabled(pool, id, request.body.enabled, human.email)))
        throw new ApiError('not_found', `No procedure "${id}"`);
      await auditAdminChange(pool, human, `procedure:${id}`, 'admin.enable_procedure', {
        enabled: request.body.enabled,
      });
      await applied(id);
      return view(await found(id));
    },
  );

  app.delete(
    '/api/admin/procedures/:id',
    {
      schema: {
        ...adminSchema,
        summary: 'Delete a procedure (its saved versions stay on record)',
        params: procedureParamsSchema,
        response: { 200: procedureDeletedSchema },
      },
    },
    async (request) => {
      const { id } = request.params;
      const deleted = await deleteProcedure(pool, id);
      if (deleted) {
        await auditAdminChange(pool, request.human!, `procedure:${id}`, 'admin.delete_procedure', {});
        await applied(id);
      }
      return { deleted };
    },
  );
}
