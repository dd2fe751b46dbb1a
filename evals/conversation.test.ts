import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { AgentEvent } from '../agent/events.ts';
import type { TurnInput } from '../agent/turn-input.ts';
import { playConversation, turnResolved } from './conversation.ts';
import type { ConversationDriver } from './environment.ts';
import { createScriptedCustomer } from './simulated-customer.ts';
import { exampleScenarioYaml, scenarioWith, type YamlDocument } from './testing/fixtures.ts';

const base = parse(exampleScenarioYaml) as YamlDocument;
const scenario = scenarioWith({}, base);
const session = { contactId: 'ct_1', verified: true } as never;
/** The scripted customer reads its mailbox only for verification codes, which these turns never ask. */
const mailbox = {
  query: () => {
    throw new Error('the mailbox must not be read here');
  },
} as never;

const confirmation: AgentEvent = {
  type: 'confirmation-request',
  prompt: 'Refund $99.00 for the duplicate charge on INV-1001?',
  actionId: 'act_2',
  actions: [
    { connector: 'billing', operation: 'refund_payment', input: { payment_id: 'pay_2', amount_cents: 9900 } },
  ],
};
const turnEnd = (status: 'waiting_customer' | 'resolved'): AgentEvent =>
  ({ type: 'turn-end', status }) as AgentEvent;

/** A driver that plays canned turns in order and records what the customer sent (not our agent: the runner's loop is under test). */
function scriptedDriver(turns: AgentEvent[][]): ConversationDriver & { inputs: Array<TurnInput | string> } {
  const inputs: Array<TurnInput | string> = [];
  let next = 0;
  return {
    inputs,
    async *converse(_id, input) {
      inputs.push(input);
      const events = turns[next] ?? [turnEnd('waiting_customer')];
      next += 1;
      yield* events;
    },
    async *decide() {
      yield turnEnd('waiting_customer');
    },
  };
}

describe('turnResolved', () => {
  const turn = (events: AgentEvent[]) => ({ events, latencyMs: 1 });
  it('is false when a request follows the last resolution in the same turn', () => {
    expect(
      turnResolved(
        turn([{ type: 'resolution', outcome: 'resolved' }, confirmation, turnEnd('waiting_customer')]),
      ),
    ).toBe(false);
  });
  it('is true when the resolution comes after the last request, or the turn ends resolved', () => {
    expect(
      turnResolved(turn([confirmation, { type: 'resolution', outcome: 'resolved' }, turnEnd('resolved')])),
    ).toBe(true);
    expect(turnResolved(turn([turnEnd('resolved')]))).toBe(true);
    expect(turnResolved(turn([turnEnd('waiting_customer')]))).toBe(false);
  });
});

describe('playConversation', () => {
  it('answers a second request queued after a resolution in the same turn instead of stopping', async () => {
    const driver = scriptedDriver([
      [
        { type: 'message', text: 'Your invoice copy is on its way.', citations: [] },
        { type: 'resolution', outcome: 'resolved' },
        { type: 'message', text: 'You also asked about the duplicate charge.', citations: [] },
        confirmation,
        turnEnd('waiting_customer'),
      ],
      [{ type: 'resolution', outcome: 'resolved' }, turnEnd('resolved')],
    ]);
    const record = await playConversation({
      conversations: driver,
      conversationId: 'c1',
      session,
      scenario,
      customer: createScriptedCustomer({ scenario, mailbox }),
      turnTimeoutMs: 5_000,
    });
    // Before the fix the runner took the first turn as resolved and stopped after one message.
    expect(driver.inputs).toHaveLength(2);
    expect(driver.inputs[1]).toEqual({ kind: 'confirm', actionId: 'act_2' });
    expect(record.customerMessages).toBe(2);
    expect(record.stoppedBy).toBe('resolution');
    expect(record.proposals).toEqual([
      [{ op: 'billing.refund_payment', args: { payment_id: 'pay_2', amount_cents: 9900 } }],
    ]);
  });

  it('still stops on a plain resolution when the customer has nothing more to say', async () => {
    const driver = scriptedDriver([[{ type: 'resolution', outcome: 'resolved' }, turnEnd('resolved')]]);
    const record = await playConversation({
      conversations: driver,
      conversationId: 'c2',
      session,
      scenario,
      customer: createScriptedCustomer({ scenario, mailbox }),
      turnTimeoutMs: 5_000,
    });
    expect(driver.inputs).toHaveLength(1);
    expect(record.stoppedBy).toBe('resolution');
    expect(record.claimedResolution).toBe(true);
    expect(record.proposals).toEqual([]);
  });
});
