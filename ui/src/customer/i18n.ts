import i18next, { type i18n as I18n } from 'i18next';
import { useTranslation } from 'react-i18next';
import { de } from './locales/de.ts';
import { en } from './locales/en.ts';

/**
 * The customer chat's UI strings (chat, launcher, prompts, cards, rating page) come from a message
 * catalog per locale. Its own i18next instance, not the global one: the widget runs inside any host
 * page (which may use i18next itself) and the staff pages keep their own strings.
 */
export const customerLocales = { en, de } as const;
export type CustomerLocale = keyof typeof customerLocales;
const supported = Object.keys(customerLocales) as CustomerLocale[];

/**
 * The first of the browser's preferred languages we have a catalog for, by primary subtag
 * (`de-AT` → `de`); English when none matches.
 */
export function pickLocale(languages: readonly string[] | undefined): CustomerLocale {
  for (const language of languages ?? []) {
    const primary = language.toLowerCase().split('-')[0] as CustomerLocale;
    if (supported.includes(primary)) return primary;
  }
  return 'en';
}

function browserLanguages(): readonly string[] {
  if (typeof navigator === 'undefined') return [];
  return navigator.languages?.length ? navigator.languages : [navigator.language];
}

/** The customer's time zone (the browser's): dates in cards and prompts are shown in it. */
export function customerTimeZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}

export const customerI18n: I18n = i18next.createInstance();
void customerI18n.init({
  lng: pickLocale(browserLanguages()),
  fallbackLng: 'en',
  supportedLngs: supported,
  resources: Object.fromEntries(supported.map((locale) => [locale, { customer: customerLocales[locale] }])),
  ns: ['customer'],
  defaultNS: 'customer',
  // Resources are bundled: initialise synchronously, so the first render is already translated.
  initAsync: false,
  // React escapes what it renders; i18next must not escape it a second time.
  interpolation: { escapeValue: false },
});

/** `t` for the customer chat, bound to its own i18next instance; `locale` for `Intl` formatting. */
export function useCustomerText() {
  const { t, i18n } = useTranslation('customer', { i18n: customerI18n });
  return { t, locale: i18n.language as CustomerLocale };
}
