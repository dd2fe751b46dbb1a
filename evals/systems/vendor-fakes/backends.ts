import type pg from 'pg';
import type { SelectableKind } from '../../../connectors/backends/kinds.ts';
import { createStripeBillingConnector } from '../../../connectors/billing/stripe/index.ts';
import { createGoogleCalendarConnector } from '../../../connectors/calendar/google/connector.ts';
import type { CallerSession, ConnectorDefinition } from '../../../connectors/core/definition.ts';
import { createHubSpotCrmConnector } from '../../../connectors/crm/hubspot/index.ts';
import { createZendeskTicketingConnector } from '../../../connectors/ticketing/zendesk/index.ts';
import { googleAccessToken, type VendorFakes } from './fakes.ts';

/**
 * Our identity directory (the contacts and accounts a verified session names), read from our own
 * database: what each vendor backend is told to find the session's customer at the vendor.
 */
function identityDirectory(pool: pg.Pool) {
  return {
    async customerOf(session: CallerSession): Promise<{ email: string; name: string } | null> {
      const contactId = session.customer?.contactId;
      if (!contactId) return null;
      const { rows } = await pool.query<{ email: string; name: string }>(
        'SELECT email, name FROM contacts WHERE id = $1',
        [contactId],
      );
      return rows[0] ?? null;
    },
    async contactOfEmail(email: string): Promise<{ contactId: string; accountId: string } | null> {
      const { rows } = await pool.query<{ contactId: string; accountId: string }>(
        'SELECT id AS "contactId", account_id AS "accountId" FROM contacts WHERE lower(email) = lower($1)',
        [email],
      );
      return rows[0] ?? null;
    },
  };
}

/**
 * The four vendor backends, pointed at the fakes, as `createSwitchboard({ backends })` takes them:
 * Stripe billing, HubSpot CRM, Zendesk ticketing (API token auth) and Google Calendar.
 */
export function vendorBackends(
  fakes: VendorFakes,
  pool: pg.Pool,
): Record<SelectableKind, ConnectorDefinition> {
  const directory = identityDirectory(pool);
  return {
    billing: createStripeBillingConnector({
      secretKey: fakes.stripe.secretKey,
      apiBase: fakes.stripe.url,
      customerOf: directory.customerOf,
      accountOfEmail: async (email) => (await directory.contactOfEmail(email))?.accountId ?? null,
      customerCacheMs: 0,
    }),
    crm: createHubSpotCrmConnector({
      token: fakes.hubspot.token,
      baseUrl: fakes.hubspot.url,
      customerOf: directory.customerOf,
      contactOfEmail: directory.contactOfEmail,
      customerCacheMs: 0,
    }),
    ticketing: createZendeskTicketingConnector({
      baseUrl: fakes.zendesk.url,
      auth: { type: 'api_token', email: fakes.zendesk.agent.email, apiToken: fakes.zendesk.agent.apiToken },
      customerOf: directory.customerOf,
    }),
    calendar: createGoogleCalendarConnector({
      db: pool,
      rootUrl: fakes.google.url,
      getAccessToken: async () => googleAccessToken,
      onUnauthorized: () => {},
      calendarIdForEngineer: (engineer) => engineer.email,
    }),
  };
}
