import { describe, expect, it } from 'vitest';
import { fromHubSpotTimezone, plainText, splitName, toHubSpotTimezone, toInteraction } from './mapping.ts';

const record = (properties: Record<string, string>) => ({
  id: '812',
  properties,
  createdAt: '2026-11-01T00:00:00Z',
  updatedAt: '2026-11-01T00:00:00Z',
});

describe('HubSpot mapping', () => {
  it('turns hs_timezone option values into IANA names and back, and refuses what names no zone', () => {
    expect(fromHubSpotTimezone('europe_slash_berlin')).toBe('Europe/Berlin');
    expect(fromHubSpotTimezone('america_slash_argentina_slash_buenos_aires')).toBe(
      'America/Argentina/Buenos_Aires',
    );
    expect(fromHubSpotTimezone('Asia/Tokyo')).toBe('Asia/Tokyo');
    expect(fromHubSpotTimezone('mars_slash_olympus')).toBeNull();
    expect(toHubSpotTimezone('America/Port-au-Prince')).toBe('america_slash_port_hyphen_au_hyphen_prince');
    expect(fromHubSpotTimezone(toHubSpotTimezone('America/Port-au-Prince'))).toBe('America/Port-au-Prince');
  });

  it('splits a name at the first space', () => {
    expect(splitName('  Maria de la Cruz ')).toEqual({ firstname: 'Maria', lastname: 'de la Cruz' });
    expect(splitName('Cher')).toEqual({ firstname: 'Cher', lastname: '' });
  });

  it('attributes inbound calls and incoming emails to the customer, others to their owner', () => {
    const inbound = toInteraction(
      'calls',
      record({ hs_call_direction: 'INBOUND', hs_call_title: 'Help', hubspot_owner_id: '5' }),
      'ct_1',
    );
    expect(inbound).toMatchObject({
      id: 'calls/812',
      kind: 'call',
      author: 'customer',
      internal: false,
      contact_id: 'ct_1',
    });
    const outbound = toInteraction(
      'calls',
      record({ hs_call_direction: 'OUTBOUND', hubspot_owner_id: '5' }),
      'ct_1',
    );
    expect(outbound.author).toBe('hubspot_owner:5');
    const note = toInteraction(
      'notes',
      record({ hs_note_body: '<p>a &amp; b</p><p>c</p>', hs_timestamp: '1762000000000' }),
      'ct_1',
    );
    expect(note).toMatchObject({
      kind: 'note',
      internal: true,
      author: 'hubspot',
      body: 'a & b\nc',
      created_at: new Date(1762000000000).toISOString(),
    });
  });

  it('keeps text of HTML bodies only', () => {
    expect(plainText('<div>Hi<br/>there&nbsp;you</div>')).toBe('Hi\nthere you');
  });
});
