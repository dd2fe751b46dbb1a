import type pg from 'pg';
import type { ApprovalDecision } from '../../agent/agent.ts';
import type { AgentEvent, ConversationStatus, CustomerSession } from '../../agent/events.ts';
import { asTurnInput, type TurnInput } from '../../agent/turn-input.ts';
import { clearWorld, loadWorld } from '../../db/world/load-world.ts';
import type { Baseline, ConversationDriver, ScenarioEnvironment } from '../environment.ts';
import type { Scenario } from '../scenario-schema.ts';

/** The id of the double's one confirmation. */
export const refundActionId = 'act_00000000000f00d1';

/** How the double misbehaves, to test the runner's failure paths. */
export interface DoubleBehaviour {
  /** Throw in the first turn. */
  crash?: boolean;
  /** Never end the first turn. */
  hang?: boolean;
  /** Say "resolved" without refunding. */
  lie?: boolean;
  /** Ask for the invoice again and again. */
  askForever?: boolean;
  /** Write the refund twice. */
  doubleRefund?: boolean;
}

type Step = 'new' | 'verify' | 'invoice' | 'confirm' | 'approval' | 'done';

/**
 * A test double of the agent behind its conversations (not of the database): a tiny duplicate-charge procedure that really
 * writes what the real agent would — conversation row, verification email, refund, confirmation
 * email, escalation — so the runner, simulated customer and checks are exercised end to end.
 */
export function createRefundAgentDouble(
  pool: pg.Pool,
  options: { limitCents?: number; behaviour?: DoubleBehaviour } = {},
): ConversationDriver & { decisions: ApprovalDecision[] } {
  const behaviour = options.behaviour ?? {};
  const limit = options.limitCents ?? 20_000;
  const steps = new Map<string, { step: Step; paymentId?: string; amount?: number; code?: string }>();
  const decisions: ApprovalDecision[] = [];
  const sql = (text: string, values: unknown[] = []) => pool.query(text, values);
  const end = async function* (conversationId: string, status: ConversationStatus, outcome?: string) {
    await sql('UPDATE conversations SET status = $2, outcome = COALESCE($3, outcome) WHERE id = $1', [
      conversationId,
      status,
      outcome ?? null,
    ]);
    yield { type: 'turn-end', status } satisfies AgentEvent;
  };
  const say = (text: string, citations: string[] = []): AgentEvent => ({
    type: 'message',
    text,
    citations: citations.map((slug) => ({ slug, title: slug, url: null })),
  });
  const refund = async function* (conversationId: string, paymentId: string, amount: number) {
    yield {
      type: 'tool-call-start',
      callId: 'c1',
      connector: 'billing',
      operation: 'refund_payment',
    } satisfies AgentEvent;
    for (let copy = 0; copy < (behaviour.doubleRefund ? 2 : 1); copy += 1) {
      await sql(
        `INSERT INTO refunds (id, payment_id, amount_cents, reason) VALUES ($1, $2, $3, 'duplicate')`,
        [`re_${conversationId}_${copy}`, paymentId, amount],
      );
    }
    await sql(
      `INSERT INTO email_outbox (id, message_id, conversation_id, to_address, from_address, subject, text_body, template)
       SELECT $1, $1 || '@lumen.cloud', $2, c.email, 'support@lumen.cloud', 'Your refund', 'Refunded.', 'refund_confirmation'
       FROM conversations v JOIN contacts c ON c.id = v.contact_id WHERE v.id = $2`,
      [`em_refund_${conversationId}`, conversationId],
    );
    yield {
      type: 'tool-call-end',
      callId: 'c1',
      connector: 'billing',
      operation: 'refund_payment',
      status: 'ok',
      latencyMs: 12.3,
    } satisfies AgentEvent;
    yield say(`I refunded the duplicate charge of $${(amount / 100).toFixed(2)}.`, ['refund-policy']);
  };

  async function* handle(
    conversationId: string,
    turn: TurnInput | string,
    session: CustomerSession,
  ): AsyncGenerator<AgentEvent> {
    const input = asTurnInput(turn);
    // Like the agent: the steps read button presses as such, and only typed text as text.
    const message = input.kind === 'message' ? input.text : '';
    if (behaviour.crash) throw new Error('boom');
    if (behaviour.hang) await new Promise(() => {});
    let state = steps.get(conversationId);
    if (!state) {
      await sql(
        `INSERT INTO conversations (id, channel, contact_id, account_id, verified)
         SELECT $1, $2, c.id, c.account_id, $3 FROM contacts c WHERE c.id = $4`,
        [conversationId, session.channel, session.verified, session.contactId],
      );
      state = { step: session.verified ? 'invoice' : 'verify' };
      steps.set(conversationId, state);
      if (state.step === 'verify') {
        state.code = '482913';
        await sql(
          `INSERT INTO email_outbox (id, message_id, conversation_id, to_address, from_address, subject, text_body, template)
           SELECT $1, $1 || '@lumen.cloud', $2, email, 'support@lumen.cloud', 'Your code', 'Your verification code is 482913. It expires in 10 minutes.', 'verification_code'
           FROM contacts WHERE id = $3`,
          [`em_code_${conversationId}`, conversationId, session.contactId],
        );
        yield { type: 'verification-request', email: 'm***@brightpath.io' };
        yield* end(conversationId, 'waiting_customer');
        return;
      }
    } else if (state.step === 'verify') {
      if (input.kind !== 'verify_code' || input.code !== state.code) {
        yield say('That code is not right.');
        yield { type: 'verification-request', email: 'm***@brightpath.io' };
        yield* end(conversationId, 'waiting_customer');
        return;
      }
      state.step = 'invoice';
    } else if (state.step === 'invoice' && !behaviour.askForever) {
      const { rows } = await sql(
        `SELECT id, amount_cents FROM payments WHERE invoice_id = $1 ORDER BY created_at DESC LIMIT 1`,
        [message.trim()],
      );
      if (!rows[0]) {
        yield say('I could not find that invoice.');
        yield { type: 'resolution', outcome: 'answered' };
        yield* end(conversationId, 'resolved', 'answered');
        return;
      }
      state.paymentId = rows[0].id;
      state.amount = rows[0].amount_cents;
      if (state.amount! > limit) {
        state.step = 'approval';
        await sql(
          `INSERT INTO escalations (id, conversation_id, reason, packet) VALUES ($1, $2, 'approval_required', '{}')`,
          [`esc_${conversationId}`, conversationId],
        );
        yield {
          type: 'escalation',
          escalationId: `esc_${conversationId}`,
          reason: 'approval_required',
          priority: 'normal',
        };
        yield* end(conversationId, 'waiting_approval', 'escalated');
        return;
      }
      state.step = 'confirm';
      yield {
        type: 'confirmation-request',
        prompt: 'Shall I refund it?',
        actionId: refundActionId,
        actions: [],
      };
      yield* end(conversationId, 'waiting_customer');
      return;
    } else if (state.step === 'done') {
      yield say("You're welcome!");
      yield { type: 'resolution', outcome: 'answered' };
      yield* end(conversationId, 'resolved');
      return;
    } else if (state.step === 'confirm') {
      state.step = 'done';
      if (input.kind === 'confirm' && input.actionId === refundActionId) {
        if (!behaviour.lie) yield* refund(conversationId, state.paymentId!, state.amount!);
        else yield say('Done, refunded.');
        yield { type: 'resolution', outcome: 'resolved' };
        yield* end(conversationId, 'resolved', 'resolved');
      } else {
        yield say('Alright, I will leave it as it is.');
        yield { type: 'resolution', outcome: 'answered' };
        yield* end(conversationId, 'resolved', 'answered');
      }
      return;
    }
    yield { type: 'text-delta', text: 'Which ' };
    yield { type: 'text-delta', text: 'invoice?' };
    yield say('Which invoice?');
    yield { type: 'slot-request', slot: 'invoice_id', prompt: 'Which invoice?' };
    yield* end(conversationId, 'waiting_customer');
  }

  return {
    decisions,
    converse: handle,
    async *decide(conversationId, decision) {
      decisions.push(decision);
      const state = steps.get(conversationId)!;
      state.step = 'done';
      if (decision.approved) yield* refund(conversationId, state.paymentId!, state.amount!);
      else yield say('Our billing team declined the refund.');
      yield* end(conversationId, 'resolved');
    },
  };
}

/** An environment over one real test database whose agent is the double; records the baselines asked for. */
export function createDoubleEnvironment(
  database: { pool: pg.Pool; kind: 'pglite' | 'postgres' },
  behaviour: DoubleBehaviour = {},
): ScenarioEnvironment & {
  baselines: Baseline[];
  agents: Array<ReturnType<typeof createRefundAgentDouble>>;
  closed: boolean;
} {
  const environment = {
    database,
    baselines: [] as Baseline[],
    agents: [] as Array<ReturnType<typeof createRefundAgentDouble>>,
    closed: false,
    async prepare(scenario: Scenario, options: { baseline: Baseline }) {
      environment.baselines.push(options.baseline);
      await clearWorld(database.pool);
      await loadWorld(database.pool, scenario.world);
      const agent = createRefundAgentDouble(database.pool, {
        limitCents: scenario.world.policy.auto_refund_limit_cents ?? 20_000,
        behaviour,
      });
      environment.agents.push(agent);
      return { conversations: agent };
    },
    async close() {
      environment.closed = true;
    },
  };
  return environment;
}
