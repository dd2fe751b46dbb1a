import { describe, expect, it } from 'vitest';
import { slaLabel } from './inbox-conversation.tsx';
import { inboxShortcuts, isTypingTarget } from './inbox-keys.ts';

/** A stand-in for a DOM element: `closest` answers whether it is inside one of the selector's tags. */
const element = (inside: string | null) => ({
  closest: (selector: string) =>
    inside && selector.split(', ').some((part) => part.startsWith(inside)) ? {} : null,
});
const press = (
  target: unknown,
  modifiers: Partial<Record<'ctrlKey' | 'metaKey' | 'altKey', boolean>> = {},
) => ({
  target: target as EventTarget,
  ctrlKey: false,
  metaKey: false,
  altKey: false,
  ...modifiers,
});

describe('inbox shortcuts', () => {
  it('never take a key typed in a field, or pressed with a modifier', () => {
    for (const field of ['input', 'textarea', 'select', '[contenteditable'])
      expect(isTypingTarget(press(element(field)))).toBe(true);
    expect(isTypingTarget(press(element(null)))).toBe(false);
    expect(isTypingTarget(press(element(null), { ctrlKey: true }))).toBe(true);
    expect(isTypingTarget(press(element(null), { metaKey: true }))).toBe(true);
    expect(isTypingTarget(press(element(null), { altKey: true }))).toBe(true);
    expect(isTypingTarget(press(null))).toBe(false);
  });

  it('are each listed once in the help overlay', () => {
    const keys = inboxShortcuts.map((shortcut) => shortcut.key);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys).toEqual(expect.arrayContaining(['j', 'k', '/', 'a', 'r', 'n', '?']));
  });
});

describe('the SLA timer', () => {
  const now = Date.parse('2026-12-06T10:00:00Z');
  it('counts down to the deadline, then up past it', () => {
    expect(slaLabel('2026-12-06T10:04:00Z', now)).toBe('SLA: 4 min left');
    expect(slaLabel('2026-12-06T09:57:00Z', now)).toBe('SLA: 3 min overdue');
  });
});
