import { ConnectorError } from './errors.ts';

/** How an armed fault makes a vendor misbehave (a scenario's `faults`, docs/evals.md). */
export type FaultMode = 'error' | 'timeout' | 'slow' | 'malformed';

/** One armed fault: for `times` vendor calls of `operation` ('*' = every operation) of `connector`. */
export interface FaultSpec {
  connector: string;
  operation: string;
  mode: FaultMode;
  times: number;
  /** For `slow`: how long each call is held before the real call runs. */
  delayMs?: number;
}

/** Arms faults and hands them out, one per vendor call (each retry attempt is a vendor call). */
export interface FaultInjector {
  arm(fault: FaultSpec): void;
  clear(): void;
  /** The faults still armed, with their remaining counts. */
  armed(): FaultSpec[];
  /** Takes one use of the first fault matching this call, or null. */
  take(connector: string, operation: string): FaultSpec | null;
}

/** The output a `malformed` fault substitutes: it fails any real output schema. */
export const malformedOutput = Object.freeze({
  __malformed__: true,
  garbage: '\u0000<html>502 Bad Gateway</html>',
});

/**
 * Creates a fault injector. Disabled injectors refuse to arm; in production mode arming also needs
 * `allowInProduction`, because a forgotten fault there fails real customers' requests.
 */
export function createFaultInjector(options: {
  enabled: boolean;
  mode: 'embedded' | 'production';
  allowInProduction?: boolean;
}): FaultInjector {
  if (options.enabled && options.mode === 'production' && !options.allowInProduction) {
    throw new Error(
      'Fault injection is refused in production mode: it would make real connector calls fail. ' +
        'Enable it explicitly (ALLOW_FAULT_INJECTION=true) only on a non-customer deployment.',
    );
  }
  let faults: FaultSpec[] = [];
  return {
    arm(fault) {
      if (!options.enabled)
        throw new Error('Fault injection is disabled: create the injector with enabled: true');
      if (!Number.isInteger(fault.times) || fault.times < 1) throw new Error('A fault needs times >= 1');
      if (fault.mode === 'slow' && !(fault.delayMs && fault.delayMs > 0))
        throw new Error('A slow fault needs delayMs > 0');
      faults.push({ ...fault });
    },
    clear() {
      faults = [];
    },
    armed: () => faults.map((fault) => ({ ...fault })),
    take(connector, operation) {
      const fault = faults.find(
        (candidate) =>
          candidate.connector === connector &&
          (candidate.operation === '*' || candidate.operation === operation),
      );
      if (!fault) return null;
      fault.times -= 1;
      if (fault.times <= 0) faults = faults.filter((candidate) => candidate !== fault);
      return { ...fault };
    },
  };
}

/**
 * Runs one vendor call with `fault` applied, as if the vendor misbehaved: `error` fails it
 * (transient), `timeout` hangs until the attempt's signal aborts, `slow` delays the real call,
 * `malformed` runs the real call and replaces its output with garbage.
 */
export async function runWithFault<T>(
  fault: FaultSpec | null,
  signal: AbortSignal,
  call: () => Promise<T>,
): Promise<unknown> {
  if (!fault) return call();
  switch (fault.mode) {
    case 'error':
      throw new ConnectorError('transient', 'vendor error (injected fault)');
    case 'timeout':
      await waitForAbort(signal);
      throw new ConnectorError('transient', 'vendor did not answer (injected fault)');
    case 'slow':
      await sleep(fault.delayMs ?? 0, signal);
      if (signal.aborted)
        throw new ConnectorError('transient', 'vendor did not answer in time (injected slow fault)');
      return call();
    case 'malformed':
      await call();
      return malformedOutput;
  }
}

function waitForAbort(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}
