/**
 * The environment the eval CLI runs scenarios in: the same composition as the API (connector
 * gateway, connectors, knowledge, agent), built by `api/eval-environment.ts` on `api/wiring.ts`. Tests build their own.
 */
export { createEvalEnvironment as defaultEnvironmentFactory } from '../api/eval-environment.ts';
