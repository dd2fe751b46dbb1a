import { crm } from '../../connectors/contracts.ts';
import type { SlotName } from '../events.ts';
import { ask, outputOf, type Procedure, writeAction } from './procedure.ts';

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
    // The address every code and document goes to: the change must be confirmed by a code at the old
    // address (whatever else verified the session) and proven by a code at the new one.
    const newAddress = changes.email?.toLowerCase();
    if (newAddress && newAddress !== context.customer?.email.toLowerCase()) {
      if (context.customer?.verifiedBy !== 'email_code') return { kind: 'prove', proof: 'account_holder' };
      if (!context.provenAddresses.includes(newAddress)) {
        return {
          kind: 'prove',
          proof: 'new_address',
          email: newAddress,
          prompt: `To make sure ${newAddress} is yours, I've sent a 6-digit code there. Please type it here.`,
        };
      }
    }
    const described = fields
      .filter(([slot]) => changes[slot])
      .map(([slot, , label]) => `${label} to ${changes[slot]}`)
      .join(' and ');
    return {
      kind: 'confirm',
      prompt: `Shall I update your ${described}?`,
      actions: [writeAction(crm.updateContact, changes, `update the contact's ${described}`)],
    };
  },
  complete(context, results) {
    const changed: string[] = outputOf(results, crm.updateContact).changed_fields;
    const previous = context.customer?.email;
    const replaced = changed.includes('email') && previous && context.slots.email ? previous : null;
    return {
      // The old address is told its job ended (the confirmation goes to the new address on file).
      ...(replaced
        ? {
            notices: [
              {
                template: 'email_address_changed',
                variables: { new_address: context.slots.email },
                to: replaced,
              },
            ],
          }
        : {}),
      text: `Done — I've updated your ${changed.length > 0 ? changed.join(' and ').replace('phone', 'phone number') : 'details'}. I've emailed you a confirmation.`,
      ...(changed.length > 0
        ? { email: { template: 'contact_updated', variables: { fields: changed } } }
        : {}),
    };
  },
};
