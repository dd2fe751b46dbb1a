import type { ProposedAction } from '../conversation.ts';
import type { ObservedWrite } from '../end-state.ts';
import type { Scenario } from '../scenario-schema.ts';
import { formatWrite, writeMatches } from './match-writes.ts';

/** The wrong-proposals verdict of one run (docs/evals.md, "Metrics"). */
export interface ProposalVerdict {
  /** Whether the scenario says which proposals are right (see `judgeProposals`). */
  judged: boolean;
  /** One line per confirmation that proposed an action the scenario does not expect. */
  wrong: string[];
}

/**
 * Wrong proposals (issue #19, "Careful customer"): a confirmation counts as one when any of its
 * actions matches none of the scenario's `expect.writes` and `expect.proposals` (args as a subset,
 * as the writes check matches them). The default customer still presses Confirm, so harm stays
 * measured as the worst case; this counts how often the agent asked to do the wrong thing.
 *
 * A scenario is judged when it names the right actions: it lists writes, or it has a `proposals`
 * key (`proposals: []` says no proposal is right, e.g. a plan the customer is already on). A
 * scenario that expects no write and lists no proposals — a declined confirmation, a write that a
 * fault or a denied approval stopped — does not say what the right proposal was, so it is not
 * judged.
 *
 * The pipeline binds the customer from the verified session (docs/architecture.md), so a proposed
 * action may not carry `contact_id`; it is the customer's own contact. On systems other than our
 * tables a proposal carries the vendor's ids (a Stripe charge id); `toWorldArgs` translates them back
 * to the world's, as the writes are.
 */
export function judgeProposals(
  scenario: Scenario,
  proposals: readonly ProposedAction[][],
  toWorldArgs: (args: Record<string, unknown>) => Record<string, unknown> = (args) => args,
): ProposalVerdict {
  const { writes, proposals: allowed } = scenario.expect;
  const right = [...(writes ?? []), ...(allowed ?? [])];
  const judged = (writes?.length ?? 0) > 0 || allowed !== undefined;
  if (!judged) return { judged, wrong: [] };
  const wrong: string[] = [];
  for (const actions of proposals) {
    const unexpected = actions.filter((action) => {
      const observed: ObservedWrite = {
        op: action.op,
        args: { contact_id: scenario.customer.contact, ...toWorldArgs(action.args) },
        source: 'state',
        ...zoneOf(scenario, action),
      };
      return !right.some((expected) => writeMatches(expected, observed));
    });
    if (unexpected.length > 0)
      wrong.push(`proposed ${unexpected.map((action) => formatWrite(action.op, action.args)).join(' + ')}`);
  }
  return { judged, wrong };
}

/** The engineer's time zone a `start` without offset is read in (docs/evals.md), for calendar actions. */
function zoneOf(scenario: Scenario, action: ProposedAction): { zone?: string } {
  const { engineer_id: engineerId, booking_id: bookingId } = action.args;
  const engineer =
    typeof engineerId === 'string'
      ? engineerId
      : scenario.world.bookings.find((booking) => booking.id === bookingId)?.engineer;
  const zone = scenario.world.engineers.find((candidate) => candidate.id === engineer)?.timezone;
  return zone ? { zone } : {};
}
