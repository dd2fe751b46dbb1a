import { BlockedAddressError, createAddressGuard } from '../../core/address-guard.ts';
import { ConnectorError } from '../../core/errors.ts';

/**
 * The address rules of URL MCP servers (connectors/core/address-guard.ts): calling an admin-declared
 * URL is a server-side request, and must not reach into the host's own network unless the server
 * configuration's `MCP_ALLOWED_HOSTS` names the host. A refusal is a `forbidden` connector error.
 */
export function mcpAddressGuard(allowedHosts: ReadonlyArray<string>) {
  const guard = createAddressGuard({ allowList: allowedHosts, setting: 'MCP_ALLOWED_HOSTS' });

  /** Refuses a URL whose host is, or resolves to, a non-public address the allow-list does not name. */
  async function assertPublicUrl(url: URL): Promise<void> {
    try {
      await guard.checkUrl(url);
    } catch (error) {
      if (error instanceof BlockedAddressError)
        throw new ConnectorError(
          /does not resolve/.test(error.message) ? 'transient' : 'forbidden',
          error.message,
        );
      throw error;
    }
  }

  return {
    assertPublicUrl,
    /** A `fetch` that checks the target of every request (redirects are not followed). */
    fetch: (async (input, init) => {
      await assertPublicUrl(new URL(input instanceof Request ? input.url : String(input)));
      return fetch(input, { ...init, redirect: 'manual' });
    }) as typeof fetch,
  };
}
