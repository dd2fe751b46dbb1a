import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { EscalationPacket as AgentEscalationPacket } from '../../agent/dependencies.ts';
import { escalationReasons as agentEscalationReasons } from '../../agent/escalation-reasons.ts';
import type { LiveEvent, LiveMessage as StoredLiveMessage } from '../../conversations/live-events.ts';
import * as admin from './admin.ts';
import * as consoleContract from './console.ts';
import * as events from './events.ts';
import { escalationReasons } from './values.ts';

const root = join(import.meta.dirname, '..', '..');

/** Every `.ts`/`.tsx` file under `dir`. */
function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && /\.tsx?$/.test(entry.name))
    .map((entry) => join(entry.parentPath, entry.name));
}

/** The names the contract exports as types (`export type X`), which no UI file may restate. */
function contractTypeNames(): string[] {
  const names = new Set<string>();
  for (const file of sourceFiles(join(root, 'api', 'contract'))) {
    if (file.endsWith('.test.ts')) continue;
    for (const match of readFileSync(file, 'utf8').matchAll(/^export type (\w+)/gm)) names.add(match[1]!);
  }
  return [...names];
}

describe('the API contract (api/contract)', () => {
  it('imports only zod and other contract modules, so the UI bundle can import it', () => {
    for (const file of sourceFiles(join(root, 'api', 'contract'))) {
      if (file.endsWith('.test.ts')) continue;
      const imports = [
        ...readFileSync(file, 'utf8').matchAll(/^\s*(?:import|export)[^'"]*from\s+'([^']+)'/gm),
      ].map((match) => match[1]!);
      for (const specifier of imports) {
        expect(
          specifier === 'zod' || /^\.\/[\w-]+\.ts$/.test(specifier),
          `${relative(root, file)} imports ${specifier}`,
        ).toBe(true);
      }
    }
  });

  it('no UI file declares its own copy of a contract type: the UI imports them', () => {
    const names = contractTypeNames();
    expect(names).toContain('EscalationPacket');
    const declaration = new RegExp(`^\\s*(?:export\\s+)?(?:interface|type)\\s+(${names.join('|')})\\b`, 'm');
    const copies = sourceFiles(join(root, 'ui', 'src'))
      .map((file) => ({ file: relative(root, file), match: readFileSync(file, 'utf8').match(declaration) }))
      .filter(({ match }) => match !== null)
      .map(({ file, match }) => `${file}: ${match![1]}`);
    expect(copies).toEqual([]);
  });

  it('the console, admin and customer UI import their API types from the contract', () => {
    for (const dir of ['console', 'admin', 'customer']) {
      const importers = sourceFiles(join(root, 'ui', 'src', dir)).filter((file) =>
        readFileSync(file, 'utf8').includes('/api/contract/'),
      );
      expect(importers.length, `ui/src/${dir}`).toBeGreaterThan(0);
    }
  });

  it("the escalation packet is the agent's EscalationPacket, field for field", () => {
    expectTypeOf<consoleContract.EscalationPacket>().toEqualTypeOf<AgentEscalationPacket>();
    expect(escalationReasons).toEqual(agentEscalationReasons);
  });

  it('what the server publishes on the console stream fits the live event schemas', () => {
    expectTypeOf<StoredLiveMessage>().toEqualTypeOf<events.LiveMessage>();
    // The console channel carries these kinds; turn events go to a conversation's channel, faults,
    // backend switches, custom-connector and procedure changes to control.
    type ConsoleFacing = Exclude<
      LiveEvent,
      { kind: 'faults' | 'backends' | 'custom_connectors' | 'procedures' | 'turn' }
    >;
    expectTypeOf<ConsoleFacing>().toExtend<events.ConsoleEvent>();
    expectTypeOf<ConsoleFacing['kind']>().toEqualTypeOf<events.ConsoleEventKind>();
    expect([...events.consoleEventKinds].sort()).toEqual(['escalation', 'message', 'status']);
    const message = {
      id: '12',
      role: 'human' as const,
      text: 'Hello',
      metadata: {},
      createdAt: new Date(0).toISOString(),
    };
    const published: ConsoleFacing[] = [
      { kind: 'message', conversationId: 'c1', message },
      { kind: 'status', conversationId: 'c1', status: 'escalated' },
      { kind: 'escalation', conversationId: 'c1', escalationId: 'e1', change: 'opened' },
    ];
    for (const event of published) expect(events.consoleEventSchema.parse(event)).toEqual(event);
  });

  it('holds the schemas the routes validate with', () => {
    // An older console's `note` is still accepted, as an internal reason (never sent to the
    // customer); a field the contract does not name is refused, not guessed at.
    expect(consoleContract.approvalBodySchema.parse({ approved: true, note: 'x' })).toMatchObject({
      note: 'x',
    });
    expect(consoleContract.approvalBodySchema.safeParse({ approved: true, memo: 'x' }).success).toBe(false);
    expect(
      consoleContract.queueQuerySchema.parse({ status: 'open,claimed', reason: 'connector_failure' }),
    ).toMatchObject({ status: ['open', 'claimed'], reason: ['connector_failure'], mine: false, limit: 100 });
    expect(admin.armFaultBodySchema.parse({ connector: 'billing', mode: 'error' })).toMatchObject({
      operation: '*',
      count: 100_000,
    });
  });
});
