import type { WorldInput } from '../../db/world/world-schema.ts';

/**
 * Two customers of two accounts, for the MCP tests and benchmark: Maya (acc_mcp_1) has a small and a
 * large payment made yesterday (inside the refund window); Omar (acc_mcp_2) has his own invoice.
 */
export function mcpTestWorld(now = new Date()): WorldInput {
  const yesterday = new Date(now.getTime() - 24 * 60 * 60_000);
  const day = yesterday.toISOString().slice(0, 10);
  return {
    accounts: [
      { id: 'acc_mcp_1', name: 'Brightpath', tier: 'pro', region: 'EU' },
      { id: 'acc_mcp_2', name: 'Northwind', tier: 'pro', region: 'NA' },
    ],
    contacts: [
      { id: 'ct_mcp_1', account: 'acc_mcp_1', name: 'Maya Chen', email: 'maya@brightpath.example' },
      { id: 'ct_mcp_2', account: 'acc_mcp_2', name: 'Omar Haddad', email: 'omar@northwind.example' },
    ],
    invoices: [
      { id: 'INV-M1', account: 'acc_mcp_1', amount_cents: 9900, status: 'paid', issued_at: day },
      { id: 'INV-M2', account: 'acc_mcp_1', amount_cents: 45000, status: 'paid', issued_at: day },
      { id: 'INV-O1', account: 'acc_mcp_2', amount_cents: 9900, status: 'paid', issued_at: day },
    ],
    payments: [
      {
        id: 'pay_mcp_small',
        invoice: 'INV-M1',
        amount_cents: 9900,
        status: 'succeeded',
        created_at: yesterday.toISOString(),
        card_last4: '4242',
      },
      {
        id: 'pay_mcp_big',
        invoice: 'INV-M2',
        amount_cents: 45000,
        status: 'succeeded',
        created_at: yesterday.toISOString(),
        card_last4: '4242',
      },
      {
        id: 'pay_mcp_other',
        invoice: 'INV-O1',
        amount_cents: 9900,
        status: 'succeeded',
        created_at: yesterday.toISOString(),
        card_last4: '1881',
      },
    ],
  };
}
