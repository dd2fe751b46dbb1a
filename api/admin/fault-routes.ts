import { controlChannel } from '../../conversations/live-events.ts';
import type { ApiApp, ApiContext } from '../context.ts';
import { armFaultBodySchema, faultsResponseSchema } from '../contract/admin.ts';
import { ApiError } from '../errors.ts';
import { adminSchema } from './shared.ts';

/**
 * Fault injection (demos, browser tests): make a connector misbehave in this process and, over the
 * event bus, in every worker. Only where the
 * settings allow it; elsewhere these routes answer 404 `not_available`.
 */
export async function registerFaultRoutes(app: ApiApp, context: ApiContext): Promise<void> {
  const { faults, gateway } = context.switchboard;
  const armed = () => ({ armed: faults.armed() });
  const available = () => {
    if (!context.settings.faultInjection)
      throw new ApiError('not_available', 'Fault injection is not enabled on this deployment');
  };

  app.get(
    '/api/admin/faults',
    {
      schema: {
        ...adminSchema,
        summary: 'Faults armed in this process',
        response: { 200: faultsResponseSchema },
      },
    },
    async () => {
      available();
      return armed();
    },
  );

  app.post(
    '/api/admin/faults',
    {
      schema: {
        ...adminSchema,
        summary:
          "Arm a fault: the connector's calls fail (error), hang (timeout), slow down or return garbage",
        body: armFaultBodySchema,
        response: { 201: faultsResponseSchema },
      },
    },
    async (request, reply) => {
      available();
      const { connector, operation, mode, count, delayMs } = request.body;
      const described = gateway.describe().find((candidate) => candidate.id === connector);
      if (!described)
        throw new ApiError('validation_failed', `Invalid body: /connector no connector "${connector}"`);
      // The mail dispatcher takes `email`/`deliver` faults besides the connector's own operations.
      const operations = [
        ...described.operations.map((item) => item.name),
        ...(connector === 'email' ? ['deliver'] : []),
      ];
      if (operation !== '*' && !operations.includes(operation)) {
        throw new ApiError(
          'validation_failed',
          `Invalid body: /operation ${connector} has no operation "${operation}" (known: ${operations.join(', ')})`,
        );
      }
      const fault = {
        connector,
        operation,
        mode,
        times: count,
        ...(mode === 'slow' ? { delayMs: delayMs ?? 3_000 } : {}),
      };
      try {
        faults.arm(fault);
      } catch (error) {
        throw new ApiError('not_available', (error as Error).message);
      }
      // The workers (other processes) arm it too.
      await context.bus.publish(controlChannel, {
        kind: 'faults',
        action: 'arm',
        fault,
        origin: context.instanceId,
      });
      request.log.warn({ connector, operation, mode, count, adminId: request.human?.id }, 'fault armed');
      return reply.code(201).send(armed());
    },
  );

  app.delete(
    '/api/admin/faults',
    {
      schema: {
        ...adminSchema,
        summary: 'Clear every armed fault',
        response: { 200: faultsResponseSchema },
      },
    },
    async (request) => {
      available();
      faults.clear();
      await context.bus.publish(controlChannel, {
        kind: 'faults',
        action: 'clear',
        origin: context.instanceId,
      });
      request.log.warn({ adminId: request.human?.id }, 'faults cleared');
      return armed();
    },
  );
}
