import { z } from 'zod';
import type { McpClientSettings } from '../../config/mcp-client.ts';
import type { CallerSession, ConnectorDefinition } from '../core/definition.ts';
import type { CredentialVault } from '../core/vault.ts';

/** The kinds of connector an admin can define at run time (docs/custom-connectors.md). */
export const customConnectorKinds = ['http', 'mcp'] as const;
export type CustomConnectorKind = (typeof customConnectorKinds)[number];

/** Names of the built-in connector kinds: a custom connector can never take one of them. */
const reservedIds = new Set(['crm', 'billing', 'ticketing', 'calendar', 'email', 'knowledge']);

/**
 * A custom connector's id: what audit rows, policies, metrics and tool names carry. Lower case,
 * digits and `_`, so it is safe in a metric label and an MCP tool name.
 */
export const customConnectorIdSchema = z
  .string()
  .regex(/^[a-z][a-z0-9_]{1,39}$/, 'use 2–40 lower-case letters, digits or "_", starting with a letter')
  .refine((id) => !reservedIds.has(id), { message: 'this name belongs to a built-in connector kind' });

/** One stored custom connector, as its builder receives it (`spec` already parsed by the builder's schema). */
export interface CustomConnectorRecord<Spec = unknown> {
  id: string;
  kind: CustomConnectorKind;
  title: string;
  version: number;
  spec: Spec;
  enabled: boolean;
  updatedAt: Date;
  updatedBy: string | null;
}

/** What a builder may use: the vault holds the connector's credentials under its id. */
export interface CustomConnectorDeps {
  vault: CredentialVault;
  /** The server configuration's stdio MCP servers and private-host allow-list (none when absent). */
  mcp?: McpClientSettings;
  /** Our contact directory: the verified session's email, for HTTP operations bound to it. */
  directory?: { customerOf(session: CallerSession): Promise<{ email: string } | null> };
  /**
   * Hosts an HTTP connector's endpoints may be on although they resolve to a private, loopback or
   * link-local address (`CUSTOM_CONNECTOR_ALLOWED_HOSTS`); unset: none.
   */
  outbound?: { allowedHosts: readonly string[] };
}

/** A built connector, and how to let go of what it holds (an MCP client's connection). */
export interface BuiltCustomConnector {
  definition: ConnectorDefinition;
  close?(): Promise<void>;
}

/**
 * Turns one kind's stored declaration into a connector the gateway runs. `spec` validates the
 * declaration before it is stored (errors name the path of the problem); `build` must not trust
 * anything else about it.
 */
export interface CustomConnectorBuilder<Spec = unknown> {
  kind: CustomConnectorKind;
  spec: z.ZodType<Spec>;
  build(record: CustomConnectorRecord<Spec>, deps: CustomConnectorDeps): Promise<BuiltCustomConnector>;
  /**
   * Checks what the zod schema cannot before the declaration is stored — an address the guard
   * refuses, a stdio server the configuration does not declare — throwing `CustomConnectorError`
   * naming the path. Nothing is called on the system itself.
   */
  preflight?(spec: Spec, deps: CustomConnectorDeps): Promise<void>;
}

/** A declaration that cannot be stored or built; the message names what is wrong and where. */
export class CustomConnectorError extends Error {
  override name = 'CustomConnectorError';
  constructor(
    message: string,
    readonly reason: 'invalid' | 'conflict' | 'not_found' = 'invalid',
  ) {
    super(message);
  }
}

/** `path: message; …` of a zod error, the way the pipeline reports invalid input. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`)
    .join('; ');
}
