import { type CheckContext, type CheckResult, verdict } from './types.ts';

/** `expect.cites`: each article slug is among the citations of the agent's messages. */
export function checkCites(context: CheckContext): CheckResult | null {
  const wanted = context.scenario.expect.cites;
  if (!wanted) return null;
  const cited = new Set(
    context.transcript.flatMap((entry) => (entry.kind === 'agent' ? entry.citations : [])),
  );
  const shown = cited.size > 0 ? [...cited].join(', ') : 'none';
  return verdict(
    'cites',
    wanted
      .filter((slug) => !cited.has(slug))
      .map((slug) => `expected a citation of ${slug} (cited: ${shown})`),
  );
}
