import type { CustomConnectorBuilder } from './builder.ts';
import { httpConnectorBuilder } from './http/index.ts';
import { mcpConnectorBuilder } from './mcp/builder.ts';

/**
 * The builders of every custom connector kind, one per kind. A stored connector whose kind has no
 * builder here is registered as unavailable (connectors/custom/sync.ts).
 */
// biome-ignore lint/suspicious/noExplicitAny: each builder checks its own declaration with its zod schema.
export const customConnectorBuilders: ReadonlyArray<CustomConnectorBuilder<any>> = [
  httpConnectorBuilder,
  mcpConnectorBuilder,
];
