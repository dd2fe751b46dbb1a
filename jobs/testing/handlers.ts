import type { JobHandlers } from '../catalog.ts';

const noop = async (): Promise<void> => {};

/** Handlers that do nothing, with `overrides` for the job types a test exercises. */
export function testHandlers(overrides: Partial<JobHandlers> = {}): JobHandlers {
  return {
    'agent.turn': noop,
    'email.outbound': noop,
    'email.inbound': noop,
    'gmail.sync': noop,
    'gmail.watch': noop,
    'knowledge.ingest': noop,
    'knowledge.sync': noop,
    'eval.run': noop,
    'escalation.sla': noop,
    'maintenance.recover-turns': noop,
    'maintenance.purge-transcripts': noop,
    'webhook.deliver': noop,
    'webhook.sweep': noop,
    ...overrides,
  };
}

/** Polls `check` until it returns true; throws with `what` after `timeoutMs`. */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
