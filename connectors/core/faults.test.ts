import { describe, expect, it } from 'vitest';
import { ConnectorError } from './errors.ts';
import { createFaultInjector, malformedOutput, runWithFault } from './faults.ts';

describe('createFaultInjector', () => {
  it('refuses to arm in production mode unless explicitly allowed', () => {
    expect(() => createFaultInjector({ enabled: true, mode: 'production' })).toThrow(
      /refused in production mode/,
    );
    expect(() =>
      createFaultInjector({ enabled: true, mode: 'production', allowInProduction: true }),
    ).not.toThrow();
    // A disabled injector in production is harmless: it can never arm.
    const disabled = createFaultInjector({ enabled: false, mode: 'production' });
    expect(() => disabled.arm({ connector: 'crm', operation: '*', mode: 'error', times: 1 })).toThrow(
      /disabled/,
    );
  });

  it('hands out a fault for exactly `times` matching calls, with "*" matching every operation', () => {
    const faults = createFaultInjector({ enabled: true, mode: 'embedded' });
    faults.arm({ connector: 'billing', operation: 'refund_payment', mode: 'error', times: 2 });
    faults.arm({ connector: 'crm', operation: '*', mode: 'slow', times: 1, delayMs: 5 });
    expect(faults.take('billing', 'get_invoice')).toBeNull();
    expect(faults.take('billing', 'refund_payment')?.mode).toBe('error');
    expect(faults.armed()).toEqual([
      { connector: 'billing', operation: 'refund_payment', mode: 'error', times: 1 },
      { connector: 'crm', operation: '*', mode: 'slow', times: 1, delayMs: 5 },
    ]);
    expect(faults.take('billing', 'refund_payment')).not.toBeNull();
    expect(faults.take('billing', 'refund_payment')).toBeNull();
    expect(faults.take('crm', 'get_contact')?.mode).toBe('slow');
    expect(faults.take('crm', 'get_contact')).toBeNull();
  });

  it('validates what is armed', () => {
    const faults = createFaultInjector({ enabled: true, mode: 'embedded' });
    expect(() => faults.arm({ connector: 'x', operation: '*', mode: 'error', times: 0 })).toThrow(/times/);
    expect(() => faults.arm({ connector: 'x', operation: '*', mode: 'slow', times: 1 })).toThrow(/delayMs/);
  });
});

describe('runWithFault', () => {
  const signal = new AbortController().signal;

  it('fails with a transient error without calling the vendor', async () => {
    let called = false;
    const fault = { connector: 'x', operation: 'y', mode: 'error' as const, times: 1 };
    const error = (await runWithFault(fault, signal, async () => (called = true)).catch(
      (caught) => caught,
    )) as ConnectorError;
    expect(error).toBeInstanceOf(ConnectorError);
    expect(error.kind).toBe('transient');
    expect(called).toBe(false);
  });

  it('hangs until the attempt is aborted', async () => {
    const controller = new AbortController();
    const fault = { connector: 'x', operation: 'y', mode: 'timeout' as const, times: 1 };
    setTimeout(() => controller.abort(), 30);
    const started = Date.now();
    await expect(runWithFault(fault, controller.signal, async () => 'never')).rejects.toThrow(
      /did not answer/,
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(25);
  });

  it('delays then makes the real call, or replaces its output with garbage', async () => {
    const started = Date.now();
    const slow = { connector: 'x', operation: 'y', mode: 'slow' as const, times: 1, delayMs: 40 };
    expect(await runWithFault(slow, signal, async () => 'real')).toBe('real');
    expect(Date.now() - started).toBeGreaterThanOrEqual(35);
    let called = 0;
    const malformed = { connector: 'x', operation: 'y', mode: 'malformed' as const, times: 1 };
    expect(await runWithFault(malformed, signal, async () => ++called)).toBe(malformedOutput);
    expect(called).toBe(1);
  });
});
