import { z } from 'zod';
import { buildCapturedScenario, CaptureError } from '../../evals/capture/build-scenario.ts';
import { readCapturedConversation } from '../../evals/capture/read-conversation.ts';
import { saveCapturedScenario, scenarioYaml } from '../../evals/capture/store.ts';
import { requireHuman } from '../auth/human-auth.ts';
import type { ApiApp, ApiContext } from '../context.ts';
import { saveScenarioBodySchema, saveScenarioResponseSchema } from '../contract/captured-scenarios.ts';
import { idParamsSchema } from '../contract/console.ts';
import { errorBodySchema } from '../contract/errors.ts';
import { ApiError } from '../errors.ts';

const errors = {
  400: errorBodySchema,
  401: errorBodySchema,
  403: errorBodySchema,
  404: errorBodySchema,
  409: errorBodySchema,
};

/** A scenario id from a name: "Refund above limit!" → `refund-above-limit`. */
export function scenarioIdOf(name: string): string {
  const slug = name
    .normalize('NFKD')
    .replace(/[^\w\s.-]/g, '')
    .trim()
    .toLowerCase()
    .replace(/[\s_]+/g, '-')
    .replace(/^[^a-z0-9]+/, '')
    .slice(0, 80);
  return slug === '' ? 'captured-scenario' : slug;
}

/**
 * "Save as test" (docs/evals.md, "Captured scenarios"): a staff member saves a conversation as a
 * regression scenario of the `captured` suite. `preview: true` builds it without storing, for the
 * dialog. The scenario is built from what the conversation touched (evals/capture/), never from
 * anything in the request but the human's choice of expected outcome and name.
 */
export async function registerConsoleScenarioRoutes(app: ApiApp, context: ApiContext): Promise<void> {
  const agentOnly = requireHuman(context, 'agent');
  const { pool } = context.database;

  app.post(
    '/api/console/conversations/:id/scenario',
    {
      preHandler: agentOnly,
      schema: {
        tags: ['console'],
        security: [{ consoleSession: [] }],
        summary:
          'Save the conversation as a regression scenario of the captured suite (personal data replaced, only the records it touched); preview: true only builds it',
        params: idParamsSchema,
        body: saveScenarioBodySchema,
        response: { 200: saveScenarioResponseSchema, 201: saveScenarioResponseSchema, ...errors },
      },
    },
    async (request, reply) => {
      const { preview, ...choice } = request.body;
      const conversation = await readCapturedConversation(pool, request.params.id);
      if (!conversation) throw new ApiError('not_found', `No conversation ${request.params.id}`);
      const id = choice.id ?? scenarioIdOf(choice.name);
      let scenario: ReturnType<typeof buildCapturedScenario>;
      try {
        scenario = buildCapturedScenario(conversation, { ...choice, id });
      } catch (error) {
        if (error instanceof CaptureError)
          throw new ApiError('validation_failed', error.message, error.issues);
        if (error instanceof z.ZodError) throw new ApiError('validation_failed', error.message);
        throw error;
      }
      const yaml = scenarioYaml(scenario);
      if (preview) return reply.code(200).send({ saved: false, id, yaml });
      const saved = await saveCapturedScenario(pool, {
        conversationId: conversation.id,
        scenario,
        createdBy: request.human?.id ?? null,
      });
      if (!saved.saved) {
        throw new ApiError(
          'conflict',
          saved.conflict === 'conversation'
            ? `Conversation ${conversation.id} is already saved as a scenario`
            : `A saved scenario already has the id "${id}": choose another name`,
        );
      }
      request.log.info(
        { conversationId: conversation.id, scenarioId: id },
        'conversation saved as a scenario',
      );
      return reply.code(201).send({ saved: true, id, yaml });
    },
  );
}
