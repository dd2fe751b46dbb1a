import type { LangGraphRunnableConfig } from '@langchain/langgraph';
import { hashArgs } from '../../connectors/core/canonical.ts';
import type { AgentDependencies } from '../dependencies.ts';
import { procedures } from '../procedures/index.ts';
import type { EmailSpec, WriteAction } from '../procedures/procedure.ts';
import type { CallRecord, SupportStateValue, TranscriptEntry } from '../state.ts';
import { procedureContext, say } from './toolkit.ts';

/** The idempotency key of a write in this conversation: the same request never runs twice. */
export function writeKey(
  conversationId: string,
  connector: string,
  operation: string,
  input: Record<string, unknown>,
): string {
  return `${conversationId}:${connector}.${operation}:${hashArgs(input).slice(0, 20)}`;
}

/**
 * Queues the confirmation email in the outbox, to the session's own contact. Queueing cannot be
 * refused by a mail outage: the dispatcher delivers and retries in the background.
 */
export async function sendEmail(
  deps: AgentDependencies,
  state: SupportStateValue,
  email: EmailSpec,
): Promise<boolean> {
  if (!state.customer) return false;
  try {
    await deps.outbox.enqueue({
      contactId: state.customer.contactId,
      verified: state.customer.verified,
      conversationId: state.conversationId,
      template: email.template,
      variables: email.variables,
      idempotencyKey: writeKey(
        state.conversationId,
        'email',
        email.template,
        email.variables as Record<string, unknown>,
      ),
    });
    return true;
  } catch {
    return false;
  }
}

/** After the writes: the procedure's success reply and its confirmation email. */
export async function completeProcedure(
  deps: AgentDependencies,
  state: SupportStateValue,
  config: LangGraphRunnableConfig,
  records: CallRecord[],
  results: Array<{ action: WriteAction; output: Record<string, unknown> }>,
): Promise<TranscriptEntry> {
  const procedure = procedures[state.intent!];
  const context = await procedureContext(deps, state, config, records);
  const done = procedure.complete?.(context, results) ?? { text: 'Done.' };
  const queued = done.email ? await sendEmail(deps, state, done.email) : true;
  // Never claim an email that was not queued.
  const text = queued
    ? done.text
    : `${done.text.replace(/ ?I've emailed you[^.]*\./, '')} (I couldn't queue the confirmation email; a colleague will send it.)`;
  return say(deps, state, config, text);
}
