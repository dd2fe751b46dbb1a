import type { LangGraphRunnableConfig } from '@langchain/langgraph';
import { hashArgs } from '../../connectors/core/canonical.ts';
import type { ContractInput } from '../../connectors/core/contract.ts';
import { email } from '../../connectors/email/contract.ts';
import type { AgentDependencies } from '../dependencies.ts';
import type { EmailSpec, WriteAction } from '../procedures/procedure.ts';
import { procedureFor } from '../procedures/registry.ts';
import type { CallRecord, SupportStateValue, TranscriptEntry } from '../state.ts';
import { callConnector, procedureContext, say } from './toolkit.ts';

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
 * Sends a procedure's email to the session's own contact through the pipeline (`email.send`: identity
 * binding, the template's recipient rules, idempotency, audit), like every other write. When the email
 * system refuses or fails the call, the email is queued in Switchboard's durable outbox under the same
 * idempotency key instead (the dispatcher delivers and retries in the background): a mail outage
 * never loses a confirmation and never sends one twice. Returns false only when neither took it.
 */
export async function sendEmail(
  deps: AgentDependencies,
  state: SupportStateValue,
  config: LangGraphRunnableConfig,
  records: CallRecord[],
  spec: EmailSpec,
  options: CompletionOptions = {},
): Promise<boolean> {
  if (!state.customer) return false;
  // Scoped: keyed by the scope and the contact instead of the conversation, and without the
  // conversation in the arguments, so the same contact's other conversations replay this one email.
  const idempotencyKey = writeKey(
    options.emailScope ? `${options.emailScope}:${state.customer.contactId}` : state.conversationId,
    'email',
    spec.template,
    spec.variables as Record<string, unknown>,
  );
  const input = {
    template: spec.template,
    variables: spec.variables,
    ...(options.emailScope ? {} : { conversation_id: state.conversationId }),
    ...(spec.to ? { to: spec.to } : {}),
  } as ContractInput<typeof email.send>;
  const sent = await callConnector(deps, state, config, records, {
    operation: email.send,
    input,
    options: { idempotencyKey },
  });
  if (sent.status === 'ok') return true;
  try {
    await deps.outbox.enqueue({
      contactId: state.customer.contactId,
      // Documents may go to the address on file for a mailbox proven by DMARC (an email from it).
      verified: state.customer.verified || state.customer.mailboxProven === true,
      ...(spec.to ? { to: spec.to } : {}),
      conversationId: state.conversationId,
      template: spec.template,
      variables: spec.variables,
      idempotencyKey,
    });
    return true;
  } catch {
    return false;
  }
}

/** How a completion's emails are keyed. */
export interface CompletionOptions {
  /**
   * Key the emails by this scope and the contact rather than by the conversation: the outcome of an
   * approval several conversations waited on reaches each customer once.
   */
  emailScope?: string;
}

/** After the writes: the procedure's success reply and its confirmation email. */
export async function completeProcedure(
  deps: AgentDependencies,
  state: SupportStateValue,
  config: LangGraphRunnableConfig,
  records: CallRecord[],
  results: Array<{ action: WriteAction; output: Record<string, unknown> }>,
  options: CompletionOptions = {},
): Promise<TranscriptEntry> {
  const procedure = procedureFor(deps, state.intent!);
  const context = await procedureContext(deps, state, config, records);
  const done = procedure.complete?.(context, results) ?? { text: 'Done.' };
  const queued = done.email ? await sendEmail(deps, state, config, records, done.email, options) : true;
  for (const notice of done.notices ?? []) await sendEmail(deps, state, config, records, notice, options);
  // Never claim an email that was not queued.
  const text = queued
    ? done.text
    : `${done.text.replace(/ ?I've emailed you[^.]*\./, '')} (I couldn't queue the confirmation email; a colleague will send it.)`;
  return say(deps, state, config, text);
}
