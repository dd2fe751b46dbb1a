import type { EnvironmentOptions, ScenarioEnvironment } from '../evals/environment.ts';
import { scenarioNow } from '../evals/environment.ts';
import { vendorBackends } from '../evals/systems/vendor-fakes/backends.ts';
import { startVendorFakes, type VendorFakes } from '../evals/systems/vendor-fakes/fakes.ts';
import { seedVendorWorld } from '../evals/systems/vendor-fakes/seed-world.ts';
import { snapshotVendorWrites } from '../evals/systems/vendor-fakes/writes.ts';
import { createEvalEnvironment } from './eval-environment.ts';

/**
 * The eval environment of `--systems vendor-fakes` (docs/evals.md, "Vendor systems"): the built-in
 * environment (PGlite per worker, the world's identity directory, conversations, knowledge, audit
 * and idempotency in our database) with billing on Stripe, CRM on HubSpot, ticketing on Zendesk and
 * calendar on Google, each against its local fake — started once per worker, reset and seeded with
 * the scenario's world through its API before each scenario, and read for the end state.
 */
export async function createVendorEvalEnvironment(
  options: EnvironmentOptions,
): Promise<ScenarioEnvironment & { fakes: VendorFakes }> {
  const fakes = await startVendorFakes();
  try {
    const environment = await createEvalEnvironment(options, {
      async prepare(scenario, database) {
        fakes.reset(scenarioNow(scenario));
        const ids = await seedVendorWorld(fakes, scenario.world, database.pool);
        return {
          backends: vendorBackends(fakes, database.pool),
          snapshotWrites: async () => snapshotVendorWrites(fakes, ids, database.pool),
        };
      },
      close: () => fakes.close(),
    });
    return { ...environment, fakes };
  } catch (error) {
    await fakes.close();
    throw error;
  }
}
