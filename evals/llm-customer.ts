import { generateText, type LanguageModel, type ModelMessage } from 'ai';
import {
  answerConfirmation,
  answerVerification,
  type CustomerDependencies,
  customerEmail,
  formatSlotValue,
  lastRequestOf,
  type SimulatedCustomer,
  typed,
} from './simulated-customer.ts';
import type { TokenUsage, TranscriptEntry } from './transcript.ts';

const typedOrNull = (text: string | null) => (text === null ? null : typed(text));

/** What the model answers when the customer has nothing more to say. */
export const doneMarker = '[DONE]';

/**
 * A customer played by a language model, with a persona built from the scenario: who they are,
 * what they want (`says`), what they know (`knows`) and whether they agree to go ahead
 * (`confirms`). The opening is the scenario's first message verbatim, so runs stay comparable;
 * a confirmation is answered with the Confirm/Decline button per `confirms`, and verification codes
 * are read from the mailbox (never invented) and submitted in the code form.
 */
export function createLlmCustomer(
  dependencies: CustomerDependencies & { model: LanguageModel; temperature?: number },
): SimulatedCustomer {
  const system = buildPersona(dependencies);
  const used: TokenUsage = { inputTokens: 0, outputTokens: 0 };
  return {
    async opening() {
      return dependencies.scenario.customer.says[0]!;
    },
    async reply(turn, transcript) {
      // The chat's buttons and code form are pressed as a person would, per the scenario.
      const request = lastRequestOf(turn);
      if (request?.type === 'verification-request') return answerVerification(dependencies);
      if (request?.type === 'confirmation-request')
        return answerConfirmation(request, dependencies.scenario.customer.confirms);
      return typedOrNull(await generate(transcript));
    },
    followUp: async (_turn, transcript) => typedOrNull(await generate(transcript)),
    usage: () => ({ ...used }),
  };

  async function generate(transcript: readonly TranscriptEntry[]): Promise<string | null> {
    const result = await generateText({
      model: dependencies.model,
      system,
      messages: conversationFor(transcript),
      temperature: dependencies.temperature ?? 0.3,
      maxOutputTokens: 300,
    });
    used.inputTokens += result.usage.inputTokens ?? 0;
    used.outputTokens += result.usage.outputTokens ?? 0;
    const text = result.text.trim();
    if (text === '' || text.includes(doneMarker)) return null;
    return text;
  }
}

/** The persona prompt: the facts the simulated customer may use, and how to behave. */
export function buildPersona({ scenario }: CustomerDependencies): string {
  const contact = scenario.world.contacts.find((candidate) => candidate.id === scenario.customer.contact)!;
  const account = scenario.world.accounts.find((candidate) => candidate.id === contact.account);
  const facts = Object.entries(scenario.customer.knows)
    .filter((entry): entry is [string, string | number] => entry[1] !== undefined)
    .map(([slot, value]) => `- ${slot}: ${formatSlotValue(slot, value)}`);
  return [
    `You are ${contact.name}${account ? ` from ${account.name}` : ''} (${customerEmail(scenario)}), a customer of Lumen Cloud, chatting with its support assistant.`,
    'What you want, in your own words:',
    ...scenario.customer.says.map((say) => `- ${say}`),
    facts.length > 0
      ? 'Facts you know and give when asked:'
      : 'You know no specific ids or details beyond the above.',
    ...facts,
    'When asked for something not listed above, say you do not know. Never invent ids, amounts or codes.',
    scenario.customer.confirms
      ? 'When the assistant asks whether to go ahead, agree.'
      : 'When the assistant asks whether to go ahead, decline politely.',
    `Write only your next chat message, short and natural. When your request is handled, or you are told a human will take over, or you have nothing more to say, reply exactly ${doneMarker}.`,
  ].join('\n');
}

/** The transcript from the customer's side: its own messages are the assistant role, the agent's the user role. */
export function conversationFor(transcript: readonly TranscriptEntry[]): ModelMessage[] {
  // Chat APIs expect the first message from the user role.
  const messages: ModelMessage[] = [{ role: 'user', content: '(The support chat opens.)' }];
  for (const entry of transcript) {
    if (entry.kind === 'customer') messages.push({ role: 'assistant', content: entry.text });
    else if (entry.kind === 'agent') messages.push({ role: 'user', content: entry.text });
  }
  return messages;
}
