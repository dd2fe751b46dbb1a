import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pg from 'pg';
import {
  CommandLineError,
  type CommandSpec,
  exitWithUsageError,
  parseCommandLine,
  parseCommandLineOf,
} from '../../app/cli/command-line.ts';
import { type Database, openDatabase } from '../../db/database.ts';
import { migrateToLatest } from '../../db/migrate.ts';
import { type AnswerFeatures, hybridFeatures, textFeatures } from '../../knowledge/answer.ts';
import { type AnswerCalibration, defaultCalibrations } from '../../knowledge/calibration.ts';
import { readFolder } from '../../knowledge/cli.ts';
import { countingEmbedder } from '../../knowledge/embedder.ts';
import { createIngester } from '../../knowledge/ingest.ts';
import { createLocalEmbedder } from '../../knowledge/local-embedder.ts';
import { createKnowledgeSearch, type SearchMode } from '../../knowledge/search.ts';
import { gateReport, runGate } from './agent-gate.ts';
import {
  answersUnder,
  calibrationQuality,
  chooseL2,
  crossValidate,
  defaultL2,
  fitCalibration,
} from './calibrate.ts';
import {
  detectionMetrics,
  percentile,
  type QuestionRun,
  retrievalMetrics,
  runQuestions,
} from './evaluate.ts';
import { type LabeledQuestion, readLabeledSet, splitLabeledSet } from './labeled-set.ts';
import { explainVectorQuery, scaleCorpus } from './scale.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** Options of the retrieval benchmark. */
export interface RetrievalBenchOptions {
  /** Also run on this PostgreSQL server (a scratch database is created and dropped). */
  postgresUrl?: string;
  /** Grow the corpus synthetically to this many chunks and measure latency at size. */
  scale?: number;
  /** Write freshly fitted calibrations to knowledge/calibration-fitted.ts. */
  writeCalibration?: boolean;
  questionsFile?: string;
  articlesFolder?: string;
  log?: (line: string) => void;
}

const modes: SearchMode[] = ['vector', 'fulltext', 'hybrid'];
const modeFeatures: Record<SearchMode, Array<keyof AnswerFeatures>> = {
  vector: ['topCosine', 'cosineMargin'],
  fulltext: textFeatures,
  hybrid: hybridFeatures,
};

/** Runs the benchmark and prints Markdown tables (the ones in docs/knowledge.md). */
export async function main(options: RetrievalBenchOptions = {}): Promise<void> {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const questions = await readLabeledSet(
    options.questionsFile ?? path.join(root, 'knowledge/eval/questions.yaml'),
  );
  const split = splitLabeledSet(questions);
  const { documents } = await readFolder(options.articlesFolder ?? path.join(root, 'knowledge/articles'));
  // Uncached: query embedding time is part of what this benchmark reports.
  const embedder = countingEmbedder(createLocalEmbedder());
  await embedder.embed(['warm up']);
  // One ingester for every engine: the second engine reuses the first one's vectors.
  const ingester = createIngester({ embedder, cacheSize: 1_000_000 });
  log(
    `# Retrieval benchmark — ${questions.length} questions (train ${split.train.length}, held-out ${split.heldOut.length}), ${documents.length} articles, ${embedder.model}\n`,
  );
  const fitted: AnswerCalibration[] = [];
  const engines: Array<'pglite' | 'postgres'> = options.postgresUrl ? ['pglite', 'postgres'] : ['pglite'];
  for (const engine of engines) {
    const database =
      engine === 'pglite'
        ? await openDatabase({ dataDir: 'memory://' })
        : await scratchPostgres(options.postgresUrl!);
    try {
      await migrateToLatest(database.pool);
      embedder.reset();
      const started = performance.now();
      const report = await ingester.ingest(database.pool, documents);
      const ingestMs = performance.now() - started;
      log(`## ${engine}\n`);
      log(
        `Ingest: ${report.chunksWritten} chunks in ${(ingestMs / 1000).toFixed(1)} s = ${(report.chunksWritten / (ingestMs / 1000)).toFixed(1)} chunks/s ` +
          `(embedding ${(embedder.milliseconds / 1000).toFixed(1)} s for ${report.chunksEmbedded} chunks; writing ${((ingestMs - embedder.milliseconds) / 1000).toFixed(2)} s = ${(report.chunksWritten / ((ingestMs - embedder.milliseconds) / 1000)).toFixed(0)} chunks/s)\n`,
      );
      const search = createKnowledgeSearch({ db: database.pool, embedder });
      log(
        '| mode | split | recall@1 | recall@5 | MRR | unanswerable detected | recall@5 with threshold | search p50 / p95 ms | query embedding p50 / p95 ms |',
      );
      log('|---|---|---|---|---|---|---|---|---|');
      for (const mode of modes) {
        const runs = {
          train: await runQuestions(search, split.train, mode),
          heldOut: await runQuestions(search, split.heldOut, mode),
        };
        const calibration = chooseCalibration(
          mode,
          runs.train,
          embedder.model,
          options.writeCalibration ?? false,
          log,
        );
        if (engine === 'pglite' && options.writeCalibration && mode !== 'vector')
          fitted.push(mode === 'fulltext' ? { ...calibration, model: '*' } : calibration);
        for (const [name, splitRuns] of Object.entries(runs)) log(row(mode, name, splitRuns, calibration));
        if (mode === 'hybrid') {
          const quality = calibrationQuality(runs.heldOut, calibration);
          const l2 = calibration.l2 ?? defaultL2;
          const validation = crossValidate(runs.train, calibration.features, { l2 });
          log(
            `\nHybrid confidence on held-out: Brier ${quality.brier.toFixed(3)}, ECE ${quality.ece.toFixed(3)}; threshold ${calibration.threshold.toFixed(3)}${calibration.entityThreshold === undefined ? '' : `, naming a foreign product ${calibration.entityThreshold.toFixed(3)}`}, L2 ${l2}.` +
              ` Cross-validated on train (6 x 5 folds, each fitted and thresholded without its questions): unanswerable detected ${validation.detected.toFixed(3)}, answerable questions refused ${(validation.answerableLost * 100).toFixed(1)} %.\n`,
          );
        }
      }
      // The agent's gate on top of the knowledge rule (issue #19, pattern 5): words, then meaning.
      if (engine === 'pglite') log(gateReport(await runGate(search, questions)));
      if (options.scale) await measureAtScale(database, search, questions, options.scale, log);
    } finally {
      await database.close();
    }
  }
  if (options.writeCalibration) await writeCalibrations(fitted, log);
}

function chooseCalibration(
  mode: SearchMode,
  train: QuestionRun[],
  model: string,
  refit: boolean,
  log: (line: string) => void,
): AnswerCalibration {
  const shipped = mode === 'hybrid' ? defaultCalibrations[model] : undefined;
  if (shipped && !refit) return shipped;
  if (!refit || mode === 'vector') return fitCalibration(train, modeFeatures[mode], model);
  // The penalty is chosen by cross-validation on train: in-sample numbers cannot choose it.
  const { l2, candidates } = chooseL2(train, modeFeatures[mode]);
  log(
    `(${mode} calibration: L2 ${l2} chosen by cross-validation on train; detected / answerable refused: ${candidates
      .map(
        (candidate) =>
          `${candidate.l2} → ${candidate.detected.toFixed(3)} / ${(candidate.answerableLost * 100).toFixed(1)} %`,
      )
      .join(', ')})`,
  );
  return fitCalibration(train, modeFeatures[mode], model, { l2 });
}

function row(mode: SearchMode, split: string, runs: QuestionRun[], calibration: AnswerCalibration): string {
  const metrics = retrievalMetrics(runs);
  const detection = detectionMetrics(runs, answersUnder(calibration));
  const ms = (values: number[]) =>
    `${percentile(values, 50).toFixed(1)} / ${percentile(values, 95).toFixed(1)}`;
  return `| ${mode} | ${split} (${metrics.questions}+${detection.unanswerable}) | ${metrics.recallAt1.toFixed(3)} | ${metrics.recallAt5.toFixed(3)} | ${metrics.mrr.toFixed(3)} | ${detection.detected.toFixed(3)} | ${detection.recallAt5WithThreshold.toFixed(3)} | ${ms(runs.map((run) => run.searchMs))} | ${mode === 'fulltext' ? '—' : ms(runs.map((run) => run.embeddingMs))} |`;
}

async function measureAtScale(
  database: Database,
  search: ReturnType<typeof createKnowledgeSearch>,
  questions: LabeledQuestion[],
  target: number,
  log: (line: string) => void,
): Promise<void> {
  const started = performance.now();
  const size = await scaleCorpus(database.pool, target);
  log(
    `\n### At scale: ${size.chunks} chunks, ${size.articles} articles (synthetic copies loaded + HNSW built in ${((performance.now() - started) / 1000).toFixed(1)} s)\n`,
  );
  const [probe] = await search.embedder.embed([questions[0]!.q]);
  const explain = await explainVectorQuery(database.pool, probe!);
  log(
    `EXPLAIN of the vector query: HNSW index ${explain.usesIndex ? 'USED' : 'NOT used'}\n\n\`\`\`\n${explain.plan}\n\`\`\`\n`,
  );
  // Modes are interleaved question by question, and every question runs `rounds` times: on a
  // shared 2-core machine a burst of stolen CPU then lands on all three modes alike instead of on
  // whichever block of 318 queries was running, and the p95 rests on ~950 samples per mode.
  const rounds = 3;
  const samples = new Map(modes.map((mode) => [mode, { search: [] as number[], embedding: [] as number[] }]));
  for (const question of questions.slice(0, 10))
    for (const mode of modes) await runQuestions(search, [question], mode);
  for (let round = 0; round < rounds; round++) {
    for (const question of questions) {
      for (const mode of modes) {
        const [run] = await runQuestions(search, [question], mode);
        samples.get(mode)!.search.push(run!.searchMs);
        samples.get(mode)!.embedding.push(run!.embeddingMs);
      }
    }
  }
  log(
    `${rounds} rounds x ${questions.length} questions, the three modes interleaved question by question:\n`,
  );
  log('| mode | search p50 ms | search p95 ms | query embedding p50 / p95 ms |');
  log('|---|---|---|---|');
  for (const mode of modes) {
    const { search: searchMs, embedding: embeddingMs } = samples.get(mode)!;
    log(
      `| ${mode} | ${percentile(searchMs, 50).toFixed(1)} | ${percentile(searchMs, 95).toFixed(1)} | ${mode === 'fulltext' ? '—' : `${percentile(embeddingMs, 50).toFixed(1)} / ${percentile(embeddingMs, 95).toFixed(1)}`} |`,
    );
  }
  log('');
}

async function scratchPostgres(serverUrl: string): Promise<Database> {
  const name = `kb_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const database = await openDatabase({ url: url.toString(), maxConnections: 4 });
  await database.pool.query('CREATE EXTENSION IF NOT EXISTS vector');
  return {
    ...database,
    async close() {
      await database.close();
      const dropper = new pg.Client({ connectionString: serverUrl });
      await dropper.connect();
      await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await dropper.end();
    },
  };
}

async function writeCalibrations(
  calibrations: AnswerCalibration[],
  log: (line: string) => void,
): Promise<void> {
  const file = path.join(root, 'knowledge/calibration-fitted.ts');
  const literal = (calibration: AnswerCalibration) =>
    `  {\n    model: '${calibration.model}',\n    features: [${calibration.features.map((name) => `'${name}'`).join(', ')}],\n` +
    `    means: [${calibration.means.map(round).join(', ')}],\n    scales: [${calibration.scales.map(round).join(', ')}],\n` +
    `    weights: [${calibration.weights.map(round).join(', ')}],\n    bias: ${round(calibration.bias)},\n${calibration.l2 === undefined ? '' : `    l2: ${calibration.l2},\n`}    threshold: ${round(calibration.threshold)},\n` +
    `${calibration.entityThreshold === undefined ? '' : `    entityThreshold: ${round(calibration.entityThreshold)},\n`}  },\n`;
  await writeFile(
    file,
    `// Generated by \`npm run bench:retrieval -- --calibrate --write\`: do not edit by hand.\nimport type { AnswerCalibration } from './calibration.ts';\n\nexport const fittedCalibrations: AnswerCalibration[] = [\n${calibrations.map(literal).join('')}];\n`,
  );
  log(`Wrote ${calibrations.length} calibrations to ${path.relative(root, file)}`);
}

const round = (value: number): string => String(Number(value.toPrecision(6)));

/** The command line of `npm run bench:retrieval`. */
export const retrievalCommand = {
  command: 'npm run bench:retrieval',
  positionals: {
    synopsis: '[postgres-url]',
    min: 0,
    max: 1,
    description: 'the same as --postgres <url>',
  },
  summary:
    'Retrieval quality and speed of the knowledge base on the labeled questions\n' +
    '(knowledge/eval/questions.yaml) over the help-center articles: recall@1/5, MRR, unanswerable\n' +
    'detection and search latency per mode (vector, full text, hybrid), on embedded PGlite and optionally\n' +
    'PostgreSQL; prints the Markdown tables of docs/knowledge.md.',
  options: {
    postgres: {
      type: 'string',
      value: '<url>',
      description: 'also run on this PostgreSQL server (a scratch database is created and dropped)',
    },
    scale: {
      type: 'string',
      value: '<chunks>',
      description: 'grow the corpus synthetically to this many chunks and measure latency at size',
    },
    calibrate: {
      type: 'boolean',
      default: false,
      description: 'write the freshly fitted answer calibrations to knowledge/calibration-fitted.ts',
    },
    write: { type: 'boolean', default: false, description: 'the same as --calibrate' },
  },
  examples: [
    'npm run bench:retrieval',
    'npm run bench:retrieval -- --postgres postgres://postgres@127.0.0.1:5432/postgres --scale 10000',
  ],
} as const satisfies CommandSpec;

/** Options from the parsed command line; a CommandLineError (one line) when a value is wrong. */
export function optionsOf(parsed: {
  values: { postgres?: string | undefined; scale?: string | undefined; calibrate: boolean; write: boolean };
  positionals: string[];
}): RetrievalBenchOptions {
  const options: RetrievalBenchOptions = {};
  const url = parsed.values.postgres ?? parsed.positionals[0];
  if (url !== undefined) {
    if (!/^postgres(ql)?:\/\//.test(url))
      throw new CommandLineError(`Expected a postgres:// URL, got ${JSON.stringify(url)}`);
    options.postgresUrl = url;
  }
  if (parsed.values.scale !== undefined) {
    options.scale = Number(parsed.values.scale);
    if (!(options.scale > 0) || !Number.isInteger(options.scale))
      throw new CommandLineError(
        `--scale needs a positive whole number of chunks (got ${JSON.stringify(parsed.values.scale)})`,
      );
  }
  if (parsed.values.calibrate || parsed.values.write) options.writeCalibration = true;
  return options;
}

/** Parses `[postgresUrl] [--postgres URL] [--scale N] [--calibrate|--write]`; throws CommandLineError. */
export function parseArguments(argv: string[]): RetrievalBenchOptions {
  const parsed = parseCommandLineOf(retrievalCommand, argv);
  if (!parsed) throw new CommandLineError('--help is not an option here');
  return optionsOf(parsed);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const parsed = parseCommandLine(retrievalCommand);
  let options: RetrievalBenchOptions;
  try {
    options = optionsOf(parsed);
  } catch (error) {
    exitWithUsageError(retrievalCommand, (error as Error).message);
  }
  main(options).catch((error: unknown) => {
    process.stderr.write(`${(error as Error).stack ?? error}\n`);
    process.exit(1);
  });
}
