import type { SlotName } from '../events.ts';
import { ask, type Procedure } from './procedure.ts';

const fields: Array<[SlotName & ('phone' | 'email' | 'name' | 'title'), RegExp, string]> = [
  ['phone', /\b(phone|mobile|cell|number)\b/i, 'phone number'],
  ['email', /\b(e-?mail|address)\b/i, 'email address'],
  ['title', /\b(title|role|position|job)\b/i, 'job title'],
  ['name', /\bname\b/i, 'name'],
];

/** CRM contact updated (verified identity only). */
export const updateContactProcedure: Procedure = {
  intent: 'account.update_contact',
  title: 'updating your contact details',
  verification: 'required',
  slots: {
    phone: { prompt: 'What is the new phone number?' },
    email: { prompt: 'What is the new email address?' },
    name: { prompt: 'What name should we have on file?' },
    title: { prompt: 'What is your new job title?' },
  },
  async plan(context) {
    const changes = Object.fromEntries(
      fields.flatMap(([slot]) => (context.slots[slot] ? [[slot, context.slots[slot]]] : [])),
    );
    if (Object.keys(changes).length === 0) {
      const wanted = fields.find(([, pattern]) => pattern.test(context.message));
      if (!wanted) {
        return {
          kind: 'ask',
          slot: 'phone',
          prompt:
            'Which detail would you like to update — phone number, email address, name or job title? Please include the new value.',
        };
      }
      return ask(this, wanted[0]);
    }
    const described = fields
      .filter(([slot]) => changes[slot])
      .map(([slot, , label]) => `${label} to ${changes[slot]}`)
      .join(' and ');
    return {
      kind: 'confirm',
      prompt: `Shall I update your ${described}?`,
      actions: [
        {
          connector: 'crm',
          operation: 'update_contact',
          input: changes,
          label: `update the contact's ${described}`,
        },
      ],
    };
  },
  complete(_context, results) {
    const changed = (results[0]!.output.changed_fields as string[] | undefined) ?? [];
    return {
      text: `Done — I've updated your ${changed.length > 0 ? changed.join(' and ').replace('phone', 'phone number') : 'details'}. I've emailed you a confirmation.`,
      ...(changed.length > 0
        ? { email: { template: 'contact_updated', variables: { fields: changed } } }
        : {}),
    };
  },
};
