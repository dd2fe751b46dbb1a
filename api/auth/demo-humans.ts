import type pg from 'pg';
import { createHumanAgent, type HumanAgent } from './human-auth.ts';

/** The password of the embedded demo's human agents (documented; never used outside the embedded demo). */
export const demoHumanPassword = 'switchboard-demo';

/** The embedded demo's human agents: one queue agent and one administrator. */
export const demoHumans: ReadonlyArray<Omit<HumanAgent, 'id'>> = [
  { email: 'agent@lumen.example', name: 'Alex Agent', role: 'agent' },
  { email: 'admin@lumen.example', name: 'Ada Admin', role: 'admin' },
];

/**
 * Creates the demo human agents that do not exist yet (embedded first start only). Returns the ones
 * it created; an existing account — even with a changed password — is left alone.
 */
export async function seedDemoHumans(pool: pg.Pool): Promise<HumanAgent[]> {
  const created: HumanAgent[] = [];
  for (const demo of demoHumans) {
    const { rows } = await pool.query('SELECT 1 FROM human_agents WHERE email = $1', [demo.email]);
    if (rows.length > 0) continue;
    try {
      created.push(await createHumanAgent(pool, { ...demo, password: demoHumanPassword }));
    } catch (error) {
      // Another process seeding at the same moment created it first.
      if ((error as { code?: string }).code !== '23505') throw error;
    }
  }
  return created;
}
