import ipaddr from 'ipaddr.js';
import { z } from 'zod';

/**
 * An allow-list of destinations that may be private, loopback or link-local although the address
 * guard (connectors/core/address-guard.ts) refuses such addresses by default: comma-separated IP
 * addresses, CIDR ranges or host names (`10.20.0.0/16,n8n.internal,[fd00::7]`). Unset: public only.
 * Webhooks, HTTP connectors and MCP servers each have their own (a host trusted for one use is not
 * trusted for the others).
 */
export const allowedHostsSetting = z
  .string()
  .optional()
  .transform((value) =>
    (value ?? '')
      .split(',')
      .map((entry) =>
        entry
          .trim()
          .toLowerCase()
          .replace(/^\[|\]$/g, ''),
      )
      .filter(Boolean),
  )
  .pipe(
    z.array(
      z.string().refine(
        (entry) => {
          if (entry.includes('/')) {
            try {
              ipaddr.parseCIDR(entry);
              return true;
            } catch {
              return false;
            }
          }
          return (
            ipaddr.isValid(entry) ||
            /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(entry)
          );
        },
        { error: 'each entry must be an IP address, a CIDR range or a host name (no ports or schemes)' },
      ),
    ),
  );
