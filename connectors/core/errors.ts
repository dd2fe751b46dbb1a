/** Why a connector call failed; decides retries and what the agent does next. */
export type ConnectorErrorKind =
  | 'auth_expired'
  | 'rate_limited'
  | 'transient'
  | 'invalid_input'
  | 'not_found'
  | 'conflict'
  | 'forbidden'
  | 'permanent';

const retryableKinds: ReadonlySet<ConnectorErrorKind> = new Set([
  'auth_expired',
  'rate_limited',
  'transient',
]);

/** A typed failure of a connector operation. Messages never carry secrets or another customer's data. */
export class ConnectorError extends Error {
  override name = 'ConnectorError';
  readonly kind: ConnectorErrorKind;
  readonly retryable: boolean;
  /** Seconds the vendor asked us to wait (Retry-After), when it said. */
  readonly retryAfterSeconds?: number;

  constructor(
    kind: ConnectorErrorKind,
    message: string,
    options: { retryable?: boolean; retryAfterSeconds?: number; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.kind = kind;
    this.retryable = options.retryable ?? retryableKinds.has(kind);
    if (options.retryAfterSeconds !== undefined) this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

export const isConnectorError = (error: unknown): error is ConnectorError => error instanceof ConnectorError;
