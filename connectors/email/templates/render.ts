import { DateTime } from 'luxon';
import type { z } from 'zod';

/** Who the email is for and who it is from; looked up by the send operation, never from the model. */
export interface TemplateContext {
  contact: { name: string; timezone: string };
  brand: { name: string };
}

/** A piece of an email body. Text is plain: the layout escapes it for HTML. */
export type Block =
  | { kind: 'paragraph'; text: string }
  | { kind: 'facts'; rows: Array<[label: string, value: string]> }
  | { kind: 'link'; label: string; url: string }
  | { kind: 'code'; text: string };

/** What a template produces before layout. */
export interface EmailContent {
  subject: string;
  blocks: Block[];
}

/** A rendered email. */
export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

/** One confirmation email: its typed variables and how it reads. */
export interface EmailTemplate<Schema extends z.ZodType = z.ZodType> {
  name: string;
  description: string;
  variables: Schema;
  /** May go to a customer whose identity is not verified (it reveals nothing about the account). */
  allowUnverified?: boolean;
  /**
   * May go to an address given with the message instead of the contact's address on file: only mail
   * that proves or announces a change of that address (a code for a new address, a notice to the old one).
   */
  explicitRecipient?: boolean;
  render(variables: z.output<Schema>, context: TemplateContext): EmailContent;
}

/** Keeps a template's `render` typed by its variables schema. */
export const defineTemplate = <Schema extends z.ZodType>(
  template: EmailTemplate<Schema>,
): EmailTemplate<Schema> => template;

const htmlEntities: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for HTML element content and attribute values. */
export const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (character) => htmlEntities[character]!);

/** A subject is one line: folded whitespace, no CR/LF that could start a new header. */
export const oneLine = (text: string): string => text.replace(/\s+/g, ' ').trim();

/** Cents as money: 9900, 'usd' → $99.00. */
export const formatMoney = (cents: number, currency = 'usd'): string =>
  new Intl.NumberFormat('en-US', { style: 'currency', currency: currency.toUpperCase() }).format(cents / 100);

/** An instant in the customer's zone: "Mon 23 Nov 2026, 10:00 CET". */
export const formatDateTime = (iso: string, zone: string): string =>
  DateTime.fromISO(iso, { zone }).toFormat('ccc d LLL yyyy, HH:mm ZZZZ');

/** A calendar date: "1 Dec 2026". */
export const formatDate = (isoDate: string): string =>
  DateTime.fromISO(isoDate, { zone: 'UTC' }).toFormat('d LLL yyyy');

const firstName = (name: string): string => name.trim().split(/\s+/)[0] || name;

/** Lays the blocks out as plain text and as escaped HTML with a greeting and sign-off. */
export function layout(content: EmailContent, context: TemplateContext): RenderedEmail {
  const greeting = `Hi ${firstName(context.contact.name)},`;
  const signOff = `— The ${context.brand.name} support team`;
  const text = [greeting, ...content.blocks.map(blockText), signOff].join('\n\n');
  const html = [
    '<!doctype html><html><body style="font-family:Arial,Helvetica,sans-serif;font-size:15px;color:#1f2933;line-height:1.5">',
    `<p>${escapeHtml(greeting)}</p>`,
    ...content.blocks.map(blockHtml),
    `<p style="color:#52606d">${escapeHtml(signOff)}</p>`,
    '</body></html>',
  ].join('\n');
  return { subject: oneLine(content.subject), text: `${text}\n`, html };
}

function blockText(block: Block): string {
  switch (block.kind) {
    case 'paragraph':
      return block.text;
    case 'facts':
      return block.rows.map(([label, value]) => `${label}: ${value}`).join('\n');
    case 'link':
      return `${block.label}: ${block.url}`;
    case 'code':
      return `    ${block.text}`;
  }
}

function blockHtml(block: Block): string {
  switch (block.kind) {
    case 'paragraph':
      return `<p>${escapeHtml(block.text)}</p>`;
    case 'facts':
      return `<table style="border-collapse:collapse">${block.rows
        .map(
          ([label, value]) =>
            `<tr><td style="padding:2px 12px 2px 0;color:#52606d">${escapeHtml(label)}</td><td>${escapeHtml(value)}</td></tr>`,
        )
        .join('')}</table>`;
    case 'link':
      return `<p><a href="${escapeHtml(block.url)}">${escapeHtml(block.label)}</a></p>`;
    case 'code':
      return `<p style="font-size:24px;letter-spacing:4px;font-weight:bold">${escapeHtml(block.text)}</p>`;
  }
}
