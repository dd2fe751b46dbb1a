import { describe, expect, it } from 'vitest';
import { afterLastCorrection, readClauses } from './clauses.ts';

describe('readClauses', () => {
  it('drops a negated action and keeps what is still asked for', () => {
    const reading = readClauses('Please do not refund the March invoice; I only want the receipt for it.');
    expect(reading.negated).toEqual(['Please do not refund the March invoice;']);
    expect(reading.kept).toBe('I only want the receipt for it.');
  });

  it('reads a deferred request as not asked for now', () => {
    const reading = readClauses('update my phone number first, the plan switch can wait');
    expect(reading.negated).toEqual(['the plan switch can wait']);
    expect(reading.kept).toBe('update my phone number first');
  });

  it('does not take a negation of something other than an action for a negated request', () => {
    const reading = readClauses("the dashboard doesn't load and the export is not working");
    expect(reading.negated).toEqual([]);
    expect(reading.kept).toContain('dashboard');
  });

  it('takes back everything before a retraction', () => {
    const reading = readClauses('Cancel the subscription. Oh, forget that, just move us to Starter');
    expect(reading.retracts).toBe(true);
    expect(reading.kept).toBe('just move us to Starter');
  });

  it('finds the text after the last correction', () => {
    const reading = readClauses('Put the call on Friday at 9, sorry, make it 11');
    expect(reading.corrects).toBe(true);
    expect(afterLastCorrection(reading)).toBe('make it 11');
    expect(afterLastCorrection(readClauses('book a call on Friday at 9'))).toBeUndefined();
  });
});
