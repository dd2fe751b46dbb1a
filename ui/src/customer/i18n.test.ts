import { describe, expect, it } from 'vitest';
import { customerI18n, customerLocales, pickLocale } from './i18n.ts';

type Tree = { [key: string]: string | Tree };

/** Every leaf of a catalog as `a.b.c` → its string. */
function leaves(tree: Tree, prefix = ''): Map<string, string> {
  const found = new Map<string, string>();
  for (const [key, value] of Object.entries(tree)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (typeof value === 'string') found.set(path, value);
    else for (const [leaf, text] of leaves(value, path)) found.set(leaf, text);
  }
  return found;
}

const placeholders = (text: string) =>
  [...text.matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((match) => match[1]).sort();

describe('the customer chat catalogs', () => {
  const english = leaves(customerLocales.en as unknown as Tree);
  const german = leaves(customerLocales.de as unknown as Tree);

  it('have the same keys in English and German', () => {
    expect([...german.keys()].sort()).toEqual([...english.keys()].sort());
    expect(english.size).toBeGreaterThan(100);
  });

  it('have no empty strings, and German is not English copied over', () => {
    for (const [locale, catalog] of [
      ['en', english],
      ['de', german],
    ] as const)
      for (const [key, text] of catalog) expect(text.trim(), `${locale}: ${key}`).not.toBe('');
    const same = [...english].filter(
      ([key, text]) => german.get(key) === text && !/^\{\{\w+\}\}: \{\{\w+\}\}$/.test(text),
    );
    // A handful of words are the same in both (e.g. "Tickets"); most strings must differ.
    expect(same.length, JSON.stringify(same)).toBeLessThan(5);
  });

  it('use the same placeholders in both languages', () => {
    for (const [key, text] of english)
      expect(placeholders(german.get(key)!), key).toEqual(placeholders(text));
  });

  it('fill placeholders without HTML-escaping them (React escapes what it renders)', () => {
    const t = customerI18n.getFixedT('en', 'customer');
    expect(t('chat.signedInAs', { name: 'Tom & Jerry <tj@example.com>' })).toBe(
      'Signed in as Tom & Jerry <tj@example.com>',
    );
    expect(customerI18n.getFixedT('de', 'customer')('csat.thanks', { rating: 4 })).toBe(
      'Danke, dass Sie diese Unterhaltung mit 4 von 5 bewertet haben.',
    );
  });
});

describe('pickLocale', () => {
  it('takes the first of the browser’s languages we have, by its primary subtag', () => {
    expect(pickLocale(['de-AT', 'en-US'])).toBe('de');
    expect(pickLocale(['fr-FR', 'DE', 'en'])).toBe('de');
    expect(pickLocale(['en-GB', 'de'])).toBe('en');
  });

  it('falls back to English for languages we do not have, none, or nothing', () => {
    expect(pickLocale(['fr-FR', 'it'])).toBe('en');
    expect(pickLocale([])).toBe('en');
    expect(pickLocale(undefined)).toBe('en');
  });
});
