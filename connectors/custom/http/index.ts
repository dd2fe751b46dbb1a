import type { ConnectorDefinition } from '../../core/definition.ts';
import { type CustomConnectorBuilder, CustomConnectorError } from '../builder.ts';
import { createAuthenticator } from './auth.ts';
import { type EmailDirectory, httpOperation } from './operation.ts';
import { BlockedAddressError, createOutboundClient, outboundGuard } from './outbound.ts';
import { type HttpConnectorSpec, httpConnectorSpecSchema } from './spec.ts';

export { type HttpConnectorSpec, httpConnectorSpecSchema } from './spec.ts';

/**
 * The `http` kind: an admin's declaration of an HTTP API (docs/custom-connectors.md) built into a
 * connector whose operations the gateway runs like any other — customer bound from the session,
 * policy, idempotency, resilience, audit. Each operation is one request; its name is what a
 * declarative procedure or `gateway.callByName(session, connectorId, name, input)` calls.
 */
export const httpConnectorBuilder: CustomConnectorBuilder<HttpConnectorSpec> = {
  kind: 'http',
  spec: httpConnectorSpecSchema as unknown as CustomConnectorBuilder<HttpConnectorSpec>['spec'],
  async preflight(spec, deps) {
    try {
      await outboundGuard(deps.outbound ?? { allowedHosts: [] }).checkUrl(spec.baseUrl);
    } catch (error) {
      if (error instanceof BlockedAddressError && !/does not resolve/.test(error.message))
        throw new CustomConnectorError(`spec.baseUrl: ${error.message}`);
      // A name that does not resolve now may later: calls report it.
    }
  },
  async build(record, deps) {
    const spec = record.spec;
    const policy = deps.outbound ?? { allowedHosts: [] };
    const client = createOutboundClient(policy);
    const directory = deps.directory ? rememberedEmails(deps.directory) : undefined;
    const auth = createAuthenticator({ connectorId: record.id, auth: spec.auth, vault: deps.vault, client });
    const operations = Object.fromEntries(
      spec.operations.map((operation) => [
        operation.name,
        httpOperation(operation, {
          connectorId: record.id,
          spec,
          client,
          auth,
          ...(directory ? { directory } : {}),
        }),
      ]),
    );
    const definition: ConnectorDefinition = {
      id: record.id,
      title: record.title,
      grantedScopes: [],
      // No request is made: the host must be reachable under the address rules and the credentials stored.
      async check() {
        try {
          await outboundGuard(policy).checkUrl(spec.baseUrl);
        } catch (error) {
          return { ok: false, detail: (error as Error).message };
        }
        const missing = await auth.missing();
        if (missing.length)
          return { ok: false, detail: `credentials missing in the vault: ${missing.join(', ')}` };
        return {
          ok: true,
          detail: `${spec.operations.length} operation(s) at ${new URL(spec.baseUrl).host}`,
        };
      },
      operations,
    };
    return { definition, close: async () => client.close() };
  },
};

/** How long a contact's email is reused for the `contactEmail` binding (a changed address applies after it). */
const emailTtlMs = 10_000;

/** The directory's answers for a few seconds, per contact: one lookup per conversation turn, not per call. */
function rememberedEmails(directory: EmailDirectory): EmailDirectory {
  const remembered = new Map<string, { entry: { email: string } | null; until: number }>();
  return {
    async customerOf(session) {
      const key = `${session.customer?.contactId}\u0000${session.customer?.accountId}`;
      const known = remembered.get(key);
      if (known && known.until > Date.now()) return known.entry;
      const entry = await directory.customerOf(session);
      if (remembered.size >= 1_000) remembered.clear();
      remembered.set(key, { entry, until: Date.now() + emailTtlMs });
      return entry;
    },
  };
}
