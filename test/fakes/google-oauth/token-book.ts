import { randomBytes } from 'node:crypto';

/**
 * Access tokens shared by the local Google fakes (OAuth token endpoint, Gmail, Drive, Calendar): the
 * token endpoint issues into it, the API fakes check a request's bearer token and scopes against it,
 * as Google's APIs answer (401 `authError` for an unknown or expired token, 403
 * `insufficientPermissions` / ACCESS_TOKEN_SCOPE_INSUFFICIENT for a token without a needed scope).
 */
export interface IssuedToken {
  token: string;
  scopes: Set<string>;
  /** Milliseconds since the epoch; after it the token is refused. */
  expiresAt: number;
  /** The Google account the token acts for (Gmail's `me`). */
  subject: string;
}

export type TokenCheck =
  | { ok: true; token: IssuedToken }
  | {
      ok: false;
      status: 401 | 403;
      reason: 'required' | 'authError' | 'insufficientPermissions';
      message: string;
    };

export interface GoogleTokenBook {
  issue(options: {
    scopes: Iterable<string>;
    subject: string;
    ttlSeconds?: number;
    token?: string;
  }): IssuedToken;
  /** Refuses a token from now on (a revoked grant, or a test forcing a 401). */
  revoke(token: string): void;
  /**
   * Checks an `Authorization` header: present, known, unexpired, and carrying one of `anyOfScopes`
   * (Google lists, per method, the scopes any one of which allows it).
   */
  check(authorization: string | undefined, anyOfScopes: readonly string[]): TokenCheck;
  /** The clock the book uses; tests may move it. */
  now: () => number;
}

export function createGoogleTokenBook(options: { now?: () => number } = {}): GoogleTokenBook {
  const tokens = new Map<string, IssuedToken>();
  const book: GoogleTokenBook = {
    now: options.now ?? (() => Date.now()),
    issue({ scopes, subject, ttlSeconds = 3599, token }) {
      const issued: IssuedToken = {
        token: token ?? `ya29.fake-${randomBytes(18).toString('base64url')}`,
        scopes: new Set(scopes),
        expiresAt: book.now() + ttlSeconds * 1000,
        subject,
      };
      tokens.set(issued.token, issued);
      return issued;
    },
    revoke(token) {
      tokens.delete(token);
    },
    check(authorization, anyOfScopes) {
      const bearer = /^Bearer (\S+)$/.exec(authorization ?? '')?.[1];
      if (!bearer) return { ok: false, status: 401, reason: 'required', message: 'Login Required.' };
      const token = tokens.get(bearer);
      if (!token || token.expiresAt <= book.now())
        return { ok: false, status: 401, reason: 'authError', message: 'Invalid Credentials' };
      if (anyOfScopes.length > 0 && !anyOfScopes.some((scope) => token.scopes.has(scope)))
        return {
          ok: false,
          status: 403,
          reason: 'insufficientPermissions',
          message: 'Request had insufficient authentication scopes.',
        };
      return { ok: true, token };
    },
  };
  return book;
}
