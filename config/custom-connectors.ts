import { allowedHostsSetting } from './allowed-hosts.ts';

/**
 * Settings of the custom HTTP connectors (docs/custom-connectors.md, "Security"). Their endpoints and
 * OpenAPI imports by URL are server-side requests: a host that resolves to a private, loopback or
 * link-local address is refused unless it is named here.
 */
export const customConnectorSettings = {
  /** Destinations that may be private (an intranet order system): IPs, CIDR ranges or host names. */
  CUSTOM_CONNECTOR_ALLOWED_HOSTS: allowedHostsSetting,
};
