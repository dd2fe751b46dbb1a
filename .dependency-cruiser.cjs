/**
 * The dependency direction of docs/architecture.md, enforced in CI (`npm run lint:deps`):
 * app → {api, jobs, evals, agent, knowledge, connectors} → {connectors/core, db, config}, never back up.
 * Tests (`*.test.ts`, test/) and benchmarks (bench/) may import anything; the UI only the API contract.
 */
const testFiles = '(^(test|bench)/|\\.test\\.tsx?$)';
/** Each layer, lowest first; a module may import its own layer and the layers before it. */
const layers = [
  'config',
  'db',
  'connectors',
  'knowledge',
  'agent',
  'conversations',
  'evals',
  'jobs',
  'api',
  'app',
];

const layerRules = layers.slice(0, -1).map((layer, index) => ({
  name: `${layer}-not-upwards`,
  comment: `${layer}/ may depend only on ${layers.slice(0, index).join(', ') || 'packages'}`,
  severity: 'error',
  from: { path: `^${layer}/`, pathNot: testFiles },
  to: { path: `^(${layers.slice(index + 1).join('|')})/` },
}));

module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'core-not-concrete-connectors',
      comment:
        'connectors/core holds the contracts and the pipeline; concrete connectors depend on it, not the other way',
      severity: 'error',
      from: { path: '^connectors/core/', pathNot: testFiles },
      to: { path: '^connectors/(?!core/)' },
    },
    {
      name: 'agent-not-concrete-connectors',
      comment:
        "the agent reaches systems only through the pipeline (connectors/core) and the kinds' contracts",
      severity: 'error',
      from: { path: '^agent/', pathNot: testFiles },
      to: { path: '^connectors/(?!core/|contracts\\.ts$|[a-z-]+/contract\\.ts$)' },
    },
    {
      name: 'ui-only-api-contract',
      comment: 'the web UI talks to the server over HTTP; it may import the API contract only',
      severity: 'error',
      from: { path: '^ui/src/' },
      to: {
        path: '^(config|db|connectors|knowledge|agent|conversations|evals|jobs|api|app)/',
        pathNot: '^api/contract/',
      },
    },
    {
      name: 'no-circular',
      comment: 'no import cycles between modules (a cycle through type-only imports is no cycle at run time)',
      severity: 'error',
      from: { pathNot: testFiles },
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(node_modules|dist|\\.data|artifacts)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
