import {
  type FakeGoogleCalendar,
  startFakeGoogleCalendar,
} from '../../../test/fakes/google-calendar/server.ts';
import { type FakeHubSpot, startFakeHubSpot } from '../../../test/fakes/hubspot/server.ts';
import { type FakeStripe, startFakeStripe } from '../../../test/fakes/stripe/server.ts';
import { type FakeZendesk, startFakeZendesk } from '../../../test/fakes/zendesk/server.ts';

/** The Google access token the fake accepts (the eval does not run an OAuth flow). */
export const googleAccessToken = 'eval-google-access-token';

/**
 * The four vendor fakes of one eval worker, each on its own random port of 127.0.0.1: Stripe
 * (billing), HubSpot (CRM), Zendesk (ticketing) and Google Calendar (calendar).
 */
export interface VendorFakes {
  stripe: FakeStripe;
  hubspot: FakeHubSpot;
  zendesk: FakeZendesk;
  google: FakeGoogleCalendar;
  /** Empties all four and sets their clocks to `now` (a fresh account at each vendor). */
  reset(now: Date): void;
  close(): Promise<void>;
}

export async function startVendorFakes(): Promise<VendorFakes> {
  let clock = new Date();
  const stripe = await startFakeStripe();
  const hubspot = await startFakeHubSpot({ now: () => clock });
  const zendesk = await startFakeZendesk();
  const google = await startFakeGoogleCalendar({ tokens: [googleAccessToken] });
  return {
    stripe,
    hubspot,
    zendesk,
    google,
    reset(now) {
      clock = new Date(now);
      stripe.reset();
      hubspot.reset();
      zendesk.reset();
      google.reset();
      stripe.clock.now = Math.floor(now.getTime() / 1000);
      zendesk.clock.now = now.getTime();
    },
    async close() {
      await Promise.allSettled([stripe.close(), hubspot.close(), zendesk.close(), google.close()]);
    },
  };
}
