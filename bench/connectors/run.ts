/**
 * `npm run bench:connectors`: the pipeline's overhead per call (pipeline-overhead.ts), or with
 * `--systems vendor-fakes` the vendor calls per procedure and latency per operation against the
 * local vendor fakes (vendor-calls.ts).
 */
if (process.argv.includes('--systems')) await import('./vendor-calls.ts');
else await import('./pipeline-overhead.ts');
