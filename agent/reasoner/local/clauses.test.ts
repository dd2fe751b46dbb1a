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

  // Own phrasings (issue #19, third part): the negation's scope, not a list of sentences.
  it.each([
    "I'd rather you didn't cancel my call on Thursday",
    'Please hold off on refunding INV-2002 for now',
    "There's no need for you to cancel anything",
    'Under no circumstances should the booking be cancelled',
    "I won't be needing that refund anymore",
    "don't bother with the refund",
    'please refrain from cancelling',
    'Stop, I did not want the upgrade',
    'Do NOT downgrade us',
    'Actually, let us not move the call after all',
  ])('reads "%s" as asking for nothing', (message) => {
    const reading = readClauses(message);
    expect(reading.negated.length).toBeGreaterThan(0);
    expect(reading.kept).toBe('');
  });

  it('reads keeping something as not cancelling it, and only that', () => {
    const keep = readClauses('on second thought keep the Thursday call');
    expect(keep.negated).toEqual(['on second thought keep the Thursday call']);
    expect(keep.keeps).toEqual(keep.negated);
    const moveToo = readClauses('keep the Thursday call but push it to 4pm');
    expect(moveToo.keeps).toEqual(['keep the Thursday call']);
    expect(moveToo.kept).toBe('push it to 4pm');
    // "keep me posted" keeps nothing of the account; "I don't want to keep it" asks the opposite.
    expect(readClauses('keep me posted and cancel the Friday call').negated).toEqual([]);
    expect(readClauses("I don't want to keep the subscription, cancel it").keeps).toEqual([]);
  });

  it('turns down a question answered with a bare "no"', () => {
    const reading = readClauses('Cancel the booking? No, I want to keep it');
    expect(reading.negated).toContain('Cancel the booking?');
    expect(reading.kept).toBe('');
    expect(readClauses('Refund? No thanks, a credit note is fine').negated).toContain('Refund?');
  });

  it('reads a question about an action as no request for it', () => {
    const reading = readClauses('Leave the subscription alone, I was only wondering how cancelling works');
    expect(reading.kept).toBe('');
  });

  it('does not read a report, an inability or an urging question as a negated request', () => {
    for (const message of [
      "I didn't get my refund yet, can you refund INV-1001",
      "I can't cancel my subscription in the dashboard, please do it for me",
      'the refund has not arrived',
      'We no longer use the product so cancel the subscription',
      'I never received the invoice, please send it',
      'could you not just refund me?',
      'why not refund it now',
      'cancel the subscription without delay',
    ])
      expect(readClauses(message).negated, message).toEqual([]);
  });

  it.each([
    'I changed my mind about the cancellation',
    'hold on, ignore what I said about the plan',
    'I take that back, no refund please',
    'Strike that, just send the receipt',
  ])('reads "%s" as a retraction', (message) => {
    expect(readClauses(message).retracts).toBe(true);
  });

  it('leaves a bare discourse marker out of what is asked', () => {
    expect(readClauses('wait, do not send it yet').kept).toBe('');
  });
});
