import type { BackendEnvironment } from '../../../config/backends.ts';
import type { CredentialVault } from '../../core/vault.ts';
import { createGoogleConnection, type GoogleWorkspace } from './google-connection.ts';
import type { GoogleEndpoints } from './transport.ts';

export {
  createGoogleConnection,
  type GoogleMode,
  type GoogleWorkspace,
  googleConnectorId,
  refusedAuthorization,
} from './google-connection.ts';
export { createGoogleOAuthClient, type GoogleGrant, type GoogleOAuthApp } from './oauth-client.ts';

/**
 * The deployment's Google Workspace connection from its configuration: the OAuth client and Google's
 * endpoints from the environment (GOOGLE_OAUTH_*, GOOGLE_API_ROOT), the rest from the vault. The
 * runtime builds it once; the admin page, the Calendar backend, Gmail and Drive all use this one.
 */
export function googleWorkspaceFromEnvironment(
  vault: CredentialVault,
  env: BackendEnvironment,
): GoogleWorkspace {
  const endpoints: Partial<GoogleEndpoints> = {
    ...(env.GOOGLE_OAUTH_AUTH_URL ? { authUrl: env.GOOGLE_OAUTH_AUTH_URL } : {}),
    ...(env.GOOGLE_OAUTH_TOKEN_URL ? { tokenUrl: env.GOOGLE_OAUTH_TOKEN_URL } : {}),
    ...(env.GOOGLE_OAUTH_REVOKE_URL ? { revokeUrl: env.GOOGLE_OAUTH_REVOKE_URL } : {}),
    ...(env.GOOGLE_OAUTH_TOKENINFO_URL ? { tokenInfoUrl: env.GOOGLE_OAUTH_TOKENINFO_URL } : {}),
    ...(env.GOOGLE_API_ROOT ? { rootUrl: env.GOOGLE_API_ROOT } : {}),
  };
  return createGoogleConnection({
    vault,
    env: {
      ...(env.GOOGLE_OAUTH_CLIENT_ID ? { clientId: env.GOOGLE_OAUTH_CLIENT_ID } : {}),
      ...(env.GOOGLE_OAUTH_CLIENT_SECRET ? { clientSecret: env.GOOGLE_OAUTH_CLIENT_SECRET } : {}),
      ...(env.GOOGLE_OAUTH_REDIRECT_URL ? { redirectUrl: env.GOOGLE_OAUTH_REDIRECT_URL } : {}),
    },
    endpoints,
  });
}
