import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'yaml';
import type { Queryable } from '../../db/database.ts';
import { type LoadedScenario, parseScenario, type Suite, SuiteLoadError } from '../load-suite.ts';
import type { Scenario } from '../scenario-schema.ts';

/**
 * Captured scenarios in the database (migration 0032): the "captured" suite of the admin eval page,
 * beside the file suites. A row holds the scenario as JSON; loading goes through the same parser
 * and schema as a YAML file (`parseScenario`), so a stored scenario that no longer validates stops
 * the suite with the same kind of message a bad file gives.
 */

/** The suite name the eval page and the `eval.run` job use for the stored scenarios. */
export const capturedSuiteName = 'captured';

export interface CapturedScenarioRow {
  id: string;
  name: string;
  conversationId: string;
  expectedOutcome: string;
  createdBy: string | null;
  createdAt: Date;
  scenario: Scenario;
}

/** The scenario as YAML, the format of a suite file (what the dialog previews and a run loads). */
export function scenarioYaml(scenario: Scenario): string {
  return stringify(scenario, { lineWidth: 0 });
}

/** Saved, or `conflict` naming what already exists (the same conversation, or the same id). */
export async function saveCapturedScenario(
  db: Queryable,
  input: { conversationId: string; scenario: Scenario; createdBy: string | null },
): Promise<{ saved: true } | { saved: false; conflict: 'conversation' | 'id' }> {
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO captured_scenarios (id, name, conversation_id, scenario, expected_outcome, created_by)
     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING id`,
    [
      input.scenario.id,
      input.scenario.title,
      input.conversationId,
      JSON.stringify(input.scenario),
      input.scenario.expect.outcome,
      input.createdBy,
    ],
  );
  if (rows[0]) return { saved: true };
  const { rows: existing } = await db.query<{ conversation_id: string }>(
    `SELECT conversation_id FROM captured_scenarios WHERE id = $1 OR conversation_id = $2`,
    [input.scenario.id, input.conversationId],
  );
  return {
    saved: false,
    conflict: existing.some((row) => row.conversation_id === input.conversationId) ? 'conversation' : 'id',
  };
}

interface StoredRow {
  id: string;
  name: string;
  conversation_id: string;
  expected_outcome: string;
  created_by: string | null;
  created_at: Date;
  scenario: unknown;
}

/** Every stored scenario, oldest first, each validated again (a bad row throws `SuiteLoadError`). */
export async function listCapturedScenarios(db: Queryable): Promise<CapturedScenarioRow[]> {
  const { rows } = await db.query<StoredRow>(
    `SELECT id, name, conversation_id, expected_outcome, created_by, created_at, scenario
       FROM captured_scenarios ORDER BY created_at, id`,
  );
  return rows.map((row) => ({
    id: row.id,
    name: row.name,
    conversationId: row.conversation_id,
    expectedOutcome: row.expected_outcome,
    createdBy: row.created_by,
    createdAt: row.created_at,
    scenario: parseStored(row),
  }));
}

/** Deletes one; false when there was none. */
export async function deleteCapturedScenario(db: Queryable, id: string): Promise<boolean> {
  const { rowCount } = await db.query(`DELETE FROM captured_scenarios WHERE id = $1`, [id]);
  return (rowCount ?? 0) > 0;
}

/** The stored scenarios as a suite for the runner; an empty table is an error, as an empty folder is. */
export async function loadCapturedSuite(db: Queryable): Promise<Suite> {
  const problems: SuiteLoadError['problems'] = [];
  const { rows } = await db.query<StoredRow>(
    `SELECT id, name, conversation_id, expected_outcome, created_by, created_at, scenario
       FROM captured_scenarios ORDER BY created_at, id`,
  );
  const scenarios: LoadedScenario[] = [];
  for (const row of rows) {
    try {
      scenarios.push({ file: `${capturedSuiteName}/${row.id}`, scenario: parseStored(row) });
    } catch (error) {
      if (error instanceof SuiteLoadError) problems.push(...error.problems);
      else throw error;
    }
  }
  if (rows.length === 0)
    problems.push({ file: capturedSuiteName, path: '(suite)', message: 'has no saved scenarios yet' });
  if (problems.length > 0) throw new SuiteLoadError(problems);
  return { name: capturedSuiteName, folder: capturedSuiteName, scenarios };
}

/**
 * Writes the suite as YAML files into `folder` (for a run in a child process, whose CLI reads a
 * folder). Returns the folder.
 */
export async function writeSuiteFolder(suite: Suite, folder: string): Promise<string> {
  await mkdir(folder, { recursive: true });
  for (const { scenario } of suite.scenarios) {
    await writeFile(path.join(folder, `${scenario.id}.yaml`), scenarioYaml(scenario), 'utf8');
  }
  return folder;
}

/** A row's scenario through the YAML parser and the scenario schema, as a suite file would be. */
function parseStored(row: StoredRow): Scenario {
  const scenario = row.scenario as Scenario;
  return parseScenario(scenarioYaml(scenario), `${capturedSuiteName}/${row.id}`);
}
