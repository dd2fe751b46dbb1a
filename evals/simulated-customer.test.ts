import { MockLanguageModelV3 } from 'ai/test';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { AgentEvent } from '../agent/events.ts';
import { buildPersona, conversationFor, createLlmCustomer } from './llm-customer.ts';
import { extractCode } from './mailbox.ts';
import { createScriptedCustomer, formatSlotValue, typed } from './simulated-customer.ts';
import { exampleScenarioYaml, scenarioWith, type YamlDocument } from './testing/fixtures.ts';
import type { AgentTurn, TranscriptEntry } from './transcript.ts';

const base = parse(exampleScenarioYaml) as YamlDocument;
const scenario = scenarioWith(
  {
    customer: {
      ...base.customer,
      says: ['I was charged twice.', 'Also, can you send me the invoice?'],
      knows: { invoice_id: 'INV-1001', amount_cents: 9900 },
    },
  },
  base,
);
// The scripted customer reads the mailbox only for verification requests, which these tests do not send.
const noMailbox = {
  query: () => {
    throw new Error('the mailbox is not read here');
  },
} as never;
const actionId = 'act_0123456789abcdef';
const turn = (...events: AgentEvent[]): AgentTurn => ({
  events: [...events, { type: 'turn-end', status: 'waiting_customer' }],
  latencyMs: 5,
});

describe('createScriptedCustomer', () => {
  it('opens with the first message, answers slots from knows, and sends the next message when nothing is asked', async () => {
    const customer = createScriptedCustomer({ scenario, mailbox: noMailbox });
    expect(await customer.opening()).toBe('I was charged twice.');
    expect(
      await customer.reply(turn({ type: 'slot-request', slot: 'invoice_id', prompt: 'Which invoice?' }), []),
    ).toEqual(typed('INV-1001'));
    expect(
      await customer.reply(turn({ type: 'slot-request', slot: 'amount_cents', prompt: 'How much?' }), []),
    ).toEqual(typed('$99.00'));
    expect(
      await customer.reply(turn({ type: 'slot-request', slot: 'booking_id', prompt: 'Which booking?' }), []),
    ).toEqual(typed("I don't know."));
    expect(await customer.reply(turn({ type: 'message', text: 'Refunded.', citations: [] }), [])).toEqual(
      typed('Also, can you send me the invoice?'),
    );
    expect(await customer.reply(turn({ type: 'message', text: 'Sent.', citations: [] }), [])).toBeNull();
    expect(await customer.followUp(turn({ type: 'resolution', outcome: 'resolved' }), [])).toBeNull();
    expect(customer.usage()).toEqual({ inputTokens: 0, outputTokens: 0 });
  });

  it('follows a resolution with the next message of says', async () => {
    const customer = createScriptedCustomer({ scenario, mailbox: noMailbox });
    await customer.opening();
    const resolved = turn({ type: 'resolution', outcome: 'resolved' });
    expect(await customer.followUp(resolved, [])).toEqual(typed('Also, can you send me the invoice?'));
    expect(await customer.followUp(resolved, [])).toBeNull();
  });

  it('presses Confirm or Decline (per confirms) on the confirmation asked for, and the last request of a turn wins', async () => {
    const confirming = createScriptedCustomer({ scenario, mailbox: noMailbox });
    const declining = createScriptedCustomer({
      scenario: { ...scenario, customer: { ...scenario.customer, confirms: false } },
      mailbox: noMailbox,
    });
    const asking = turn(
      { type: 'slot-request', slot: 'invoice_id', prompt: 'Which invoice?' },
      { type: 'confirmation-request', prompt: 'Shall I refund $99?', actionId, actions: [] },
    );
    expect(await confirming.reply(asking, [])).toEqual({ kind: 'confirm', actionId });
    expect(await declining.reply(asking, [])).toEqual({ kind: 'decline', actionId });
  });

  it('submits the newest code of its mailbox in the code form, and says so when there is none', async () => {
    const mailbox = (body: string | null) =>
      ({ query: async () => ({ rows: body === null ? [] : [{ text_body: body }] }) }) as never;
    const verifying = turn({ type: 'verification-request', email: 'm•••@brightpath.io' });
    const withCode = createScriptedCustomer({ scenario, mailbox: mailbox('Your code is 482913.') });
    expect(await withCode.reply(verifying, [])).toEqual({ kind: 'verify_code', code: '482913' });
    const without = createScriptedCustomer({ scenario, mailbox: mailbox(null) });
    expect(await without.reply(verifying, [])).toEqual(typed("I didn't receive any code."));
  });

  it('formats only amounts in cents as money', () => {
    expect(formatSlotValue('amount_cents', 12345)).toBe('$123.45');
    expect(formatSlotValue('phone', '+49 30 1234567')).toBe('+49 30 1234567');
    expect(formatSlotValue('invoice_id', 1001)).toBe('1001');
  });
});

describe('extractCode', () => {
  it.each([
    ['Your verification code is 482913. It expires in 10 minutes.', '482913'],
    ['Code: 0042', '0042'],
    ['Use 771204 to continue (valid 15 minutes).', '771204'],
    ['Your code expires soon: 551234', '551234'],
    ['No code here, sorry.', null],
  ])('reads %j', (body, code) => {
    expect(extractCode(body)).toBe(code);
  });
});

describe('createLlmCustomer', () => {
  const reply = (text: string) => ({
    content: [{ type: 'text' as const, text }],
    finishReason: { unified: 'stop' as const, raw: 'stop' },
    usage: {
      inputTokens: { total: 120, noCache: 120, cacheRead: 0, cacheWrite: 0 },
      outputTokens: { total: 9, text: 9, reasoning: 0 },
    },
    warnings: [],
  });

  it('plays the persona through the model and maps the transcript to its side of the chat', async () => {
    const model = new MockLanguageModelV3({
      doGenerate: [reply('It is INV-1001.'), reply('Thanks! [DONE]')],
    });
    const customer = createLlmCustomer({ scenario, mailbox: noMailbox, model });
    expect(await customer.opening()).toBe('I was charged twice.');
    const transcript: TranscriptEntry[] = [
      { kind: 'customer', text: 'I was charged twice.' },
      { kind: 'tool', connector: 'billing', operation: 'list_invoices', status: 'ok', latencyMs: 3 },
      { kind: 'agent', text: 'Which invoice?', citations: [] },
    ];
    expect(
      await customer.reply(
        turn({ type: 'slot-request', slot: 'invoice_id', prompt: 'Which invoice?' }),
        transcript,
      ),
    ).toEqual(typed('It is INV-1001.'));
    const call = model.doGenerateCalls[0]!;
    const [system, ...messages] = call.prompt;
    expect(system?.role).toBe('system');
    expect(JSON.stringify(system)).toContain('Maya Chen from Brightpath');
    expect(JSON.stringify(system)).toContain('invoice_id: INV-1001');
    expect(JSON.stringify(system)).toContain('amount_cents: $99.00');
    expect(messages.map((message) => message.role)).toEqual(['user', 'assistant', 'user']);
    expect(
      await customer.reply(turn({ type: 'message', text: 'Done.', citations: [] }), transcript),
    ).toBeNull();
    expect(customer.usage()).toEqual({ inputTokens: 240, outputTokens: 18 });
  });

  it('presses the confirmation button per confirms instead of asking the model', async () => {
    const model = new MockLanguageModelV3({ doGenerate: [] });
    const declining = { ...scenario, customer: { ...scenario.customer, confirms: false } };
    const customer = createLlmCustomer({ scenario: declining, mailbox: noMailbox, model });
    const asking = turn({
      type: 'confirmation-request',
      prompt: 'Shall I refund $99?',
      actionId,
      actions: [],
    });
    expect(await customer.reply(asking, [])).toEqual({ kind: 'decline', actionId });
    expect(model.doGenerateCalls).toHaveLength(0);
  });

  it('tells the model to decline when the scenario does not confirm', () => {
    const declining = { ...scenario, customer: { ...scenario.customer, confirms: false } };
    expect(buildPersona({ scenario: declining, mailbox: noMailbox })).toContain('decline politely');
    expect(buildPersona({ scenario, mailbox: noMailbox })).toContain('agree');
    expect(conversationFor([])).toEqual([{ role: 'user', content: '(The support chat opens.)' }]);
  });
});
