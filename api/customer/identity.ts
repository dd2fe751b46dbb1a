import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createRemoteJWKSet, type JWTPayload, errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import type pg from 'pg';
import { z } from 'zod';

/** Who a verified identity token names, after the contact was found in the CRM. */
export interface VerifiedCustomer {
  contactId: string;
  accountId: string;
  name: string;
  email: string;
}

export class IdentityError extends Error {
  override name = 'IdentityError';
}

/**
 * The company's backend signs a JWT for its logged-in user (Intercom / Zendesk "identity verification"
 * style) and the widget passes it. Switchboard trusts the contact it names, and nothing the customer
 * or the model says.
 */
export interface CustomerIdentity {
  /** Whether identity tokens can be verified at all (a secret or a JWKS URL is configured). */
  readonly enabled: boolean;
  verify(token: string): Promise<VerifiedCustomer>;
  /** Embedded demo only: signs a token for a demo contact, so the demo page can show a signed-in customer. */
  signDemoToken?(email: string): Promise<string>;
}

export interface CustomerIdentityOptions {
  pool: pg.Pool;
  /** HS256 shared secret (≥ 32 characters). */
  secret?: string;
  /** RS256/ES256 keys, fetched and cached by jose. */
  jwksUrl?: string;
  issuer?: string;
  audience?: string;
  /** Allowed clock skew in seconds. */
  clockToleranceSeconds?: number;
  /**
   * Longest lifetime (`exp` − `iat`) a token may declare, in seconds; default 24 h. A token without
   * `iat` or `exp`, issued in the future, or living longer is refused: a leaked long-lived token would
   * otherwise act as the customer for years.
   */
  maxLifetimeSeconds?: number;
  /** Allow `signDemoToken` (embedded demo). */
  demoSigning?: boolean;
  /**
   * Where a token's `email` our directory does not know is looked up (the CRM backend's contacts,
   * connectors/backends/directory.ts); without it such a token names no known customer.
   */
  identities?: { contactOfEmail(email: string): Promise<{ contactId: string } | null> };
}

/** The default and the largest allowed `maxLifetimeSeconds`. */
export const defaultIdentityTokenLifetimeSeconds = 24 * 60 * 60;

const claimsSchema = (maxLifetimeSeconds: number, nowSeconds: number, toleranceSeconds: number) =>
  z
    .object({
      sub: z.string().min(1).max(200).optional(),
      email: z.email().max(320).optional(),
      iat: z.number({ error: 'the token has no iat (issued-at) claim' }).int(),
      exp: z.number({ error: 'the token has no exp (expiry) claim' }).int(),
    })
    .refine((claims) => claims.sub || claims.email, { message: 'the token names no user (sub or email)' })
    .refine((claims) => claims.iat <= nowSeconds + toleranceSeconds, {
      message: 'the token was issued in the future',
    })
    .refine((claims) => claims.exp > claims.iat && claims.exp - claims.iat <= maxLifetimeSeconds, {
      message: `the token's lifetime (exp - iat) must be positive and at most ${maxLifetimeSeconds} seconds`,
    });

/** Builds the verifier; with neither a secret nor a JWKS URL every token is refused. */
export function createCustomerIdentity(options: CustomerIdentityOptions): CustomerIdentity {
  const secret = options.secret ? new TextEncoder().encode(options.secret) : null;
  const jwks = options.jwksUrl ? createRemoteJWKSet(new URL(options.jwksUrl)) : null;
  const clockTolerance = options.clockToleranceSeconds ?? 30;
  const maxLifetimeSeconds = options.maxLifetimeSeconds ?? defaultIdentityTokenLifetimeSeconds;
  const verifyOptions = {
    ...(options.issuer ? { issuer: options.issuer } : {}),
    ...(options.audience ? { audience: options.audience } : {}),
    clockTolerance,
    requiredClaims: ['exp', 'iat'],
    // Also bounds how long ago `iat` may lie, whatever `exp` says.
    maxTokenAge: maxLifetimeSeconds,
  };

  async function claimsOf(token: string): Promise<JWTPayload> {
    try {
      if (jwks) {
        return (await jwtVerify(token, jwks, { ...verifyOptions, algorithms: ['RS256', 'ES256', 'EdDSA'] }))
          .payload;
      }
      if (secret)
        return (await jwtVerify(token, secret, { ...verifyOptions, algorithms: ['HS256'] })).payload;
    } catch (error) {
      if (error instanceof joseErrors.JWTExpired) throw new IdentityError('the identity token has expired');
      if (error instanceof joseErrors.JWTClaimValidationFailed)
        throw new IdentityError(`the identity token's claims are invalid: ${error.message}`);
      if (error instanceof joseErrors.JOSEError)
        throw new IdentityError(`the identity token is invalid (${error.code})`);
      throw error;
    }
    throw new IdentityError(
      'identity tokens are not accepted: no IDENTITY_JWT_SECRET or IDENTITY_JWKS_URL is configured',
    );
  }

  return {
    enabled: Boolean(secret || jwks),
    async verify(token) {
      const claims = await claimsOf(token);
      const parsed = claimsSchema(
        maxLifetimeSeconds,
        Math.floor(Date.now() / 1000),
        clockTolerance,
      ).safeParse(claims);
      if (!parsed.success)
        throw new IdentityError(
          `the identity token's claims are invalid: ${parsed.error.issues[0]?.message}`,
        );
      const { sub, email } = parsed.data;
      // `sub` is the contact id the company knows the user by; `email` the contact's address.
      const find = () =>
        options.pool.query<{ id: string; account_id: string; name: string; email: string }>(
          `SELECT id, account_id, name, email FROM contacts WHERE ${sub ? 'id = $1' : 'lower(email) = lower($1)'}`,
          [sub ?? email],
        );
      let { rows } = await find();
      // A customer of the CRM our directory does not know yet: taken from the CRM by the signed email
      // (a token naming a `sub` names one of our contacts, which no provisioning can make).
      if (rows.length === 0 && !sub && email && (await options.identities?.contactOfEmail(email)))
        ({ rows } = await find());
      const contact = rows[0];
      if (!contact) throw new IdentityError('the identity token names no known customer');
      if (sub && email && contact.email.toLowerCase() !== email.toLowerCase())
        throw new IdentityError("the identity token's email does not match its subject");
      return {
        contactId: contact.id,
        accountId: contact.account_id,
        name: contact.name,
        email: contact.email,
      };
    },
    ...(options.demoSigning && secret
      ? {
          async signDemoToken(email: string) {
            return new SignJWT({ email })
              .setProtectedHeader({ alg: 'HS256' })
              .setIssuedAt()
              .setExpirationTime('1h')
              .sign(secret);
          },
        }
      : {}),
  };
}

/** A new conversation access token and the hash the database keeps. */
export function newAccessToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: hashToken(token) };
}

export const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');

/** Constant-time comparison of a presented token with a stored hash. */
export function tokenMatches(token: string, storedHash: string | null): boolean {
  if (!storedHash) return false;
  const presented = Buffer.from(hashToken(token), 'hex');
  const stored = Buffer.from(storedHash, 'hex');
  return presented.length === stored.length && timingSafeEqual(presented, stored);
}
