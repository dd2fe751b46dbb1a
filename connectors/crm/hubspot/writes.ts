import { implement } from '../../core/contract.ts';
import { ConnectorError } from '../../core/errors.ts';
import { crm, editableFields } from '../contract.ts';
import type { ContactView } from '../schemas.ts';
import {
  contactProperties,
  externalRef,
  instantOf,
  noteKeyProperty,
  splitName,
  toContactView,
  toHubSpotTimezone,
} from './mapping.ts';
import type { HubSpotCrmDeps } from './reads.ts';

type EditableField = (typeof editableFields)[number];

/** HubSpot-defined association types of a new note (https://developers.hubspot.com/docs/api/crm/associations/association-type-ids). */
const noteToContact = 202;
const noteToCompany = 190;

/**
 * `crm.update_contact` with `PATCH /crm/v3/objects/contacts/{id}`: only the fields given that differ
 * (so a retry changes nothing), mapped to HubSpot properties (`name` → `firstname` + `lastname`,
 * `title` → `jobtitle`, `timezone` → `hs_timezone`). A new email must not belong to another HubSpot
 * contact (conflict — searched first, and HubSpot's own 409 maps to it too).
 */
export const createUpdateContact = (deps: HubSpotCrmDeps) =>
  implement(crm.updateContact, {
    scopes: ['crm.write'],
    timeoutMs: 15_000,
    async run(value, context) {
      const bound = await deps.binding.customer(context.session, context.signal);
      const current = toContactView(bound.contact, bound);
      const changed = editableFields.filter(
        (field) => value[field] !== undefined && !sameValue(field, value[field]!, current),
      );
      if (changed.length === 0) return { contact: current, changed_fields: [], previous: {} };
      if (changed.includes('email')) {
        const holders = await deps.transport.search(
          'contacts',
          [{ propertyName: 'email', operator: 'EQ', value: value.email! }],
          ['email'],
          context.signal,
          2,
        );
        if (holders.some((holder) => holder.id !== bound.contact.id)) throw emailTaken();
      }
      const properties: Record<string, string> = {};
      for (const field of changed) Object.assign(properties, hubspotProperties(field, value[field]!));
      try {
        await deps.transport.updateContact(bound.contact.id, properties, context.signal);
      } catch (error) {
        if (error instanceof ConnectorError && error.kind === 'conflict' && changed.includes('email'))
          throw emailTaken();
        throw error;
      }
      // HubSpot's PATCH answer carries only some properties: read the record back whole.
      const updated = await deps.transport.read(
        'contacts',
        bound.contact.id,
        contactProperties,
        context.signal,
      );
      context.signal.throwIfAborted();
      return {
        contact: toContactView(updated, bound),
        changed_fields: changed,
        previous: Object.fromEntries(changed.map((field) => [field, current[field]])),
      };
    },
  });

function hubspotProperties(field: EditableField, value: string): Record<string, string> {
  switch (field) {
    case 'name':
      return splitName(value);
    case 'title':
      return { jobtitle: value };
    case 'timezone':
      return { hs_timezone: toHubSpotTimezone(value) };
    default:
      return { [field]: value };
  }
}

const sameValue = (field: EditableField, next: string, current: ContactView): boolean =>
  field === 'email' ? current.email.toLowerCase() === next.toLowerCase() : current[field] === next;

const emailTaken = () =>
  new ConnectorError('conflict', 'That email address already belongs to another contact.');

/**
 * `crm.add_note`: a note on the session's HubSpot contact and its company. HubSpot has no
 * Idempotency-Key, so the call's key is written into the note's `switchboard_idempotency_key`
 * property, and before creating, the contact's notes (associations, then a batch read — both
 * read-your-writes, unlike search) are looked through for that key: a retry after a lost answer
 * finds the note it made (`already_added: true`) instead of adding a second.
 */
export const createAddNote = (
  deps: HubSpotCrmDeps & { ensureNoteKey: (signal: AbortSignal) => Promise<void> },
) =>
  implement(crm.addNote, {
    scopes: ['crm.write'],
    timeoutMs: 20_000,
    async run(input, context) {
      const bound = await deps.binding.customer(context.session, context.signal);
      if (input.contact_id !== undefined && input.contact_id !== bound.contactId) {
        throw new ConnectorError(
          'forbidden',
          "the HubSpot backend adds notes for the caller's own contact only",
        );
      }
      const company = await deps.binding.company(bound.contact.id, input.account_id, context.signal);
      await deps.ensureNoteKey(context.signal);
      const key = context.idempotencyKey ?? crm.addNote.idempotencyKey!(input);
      const rows = await deps.transport.associations('contacts', bound.contact.id, 'notes', context.signal);
      if (rows.length > 0) {
        const notes = await deps.transport.batchRead(
          'notes',
          rows.map((row) => row.toObjectId),
          [noteKeyProperty, 'hs_timestamp'],
          context.signal,
        );
        const existing = notes.find((note) => note.properties[noteKeyProperty] === key);
        if (existing) {
          return {
            note_id: externalRef('notes', existing.id),
            account_id: input.account_id,
            created_at: instantOf(existing.properties.hs_timestamp) ?? instantOf(existing.createdAt)!,
            already_added: true,
          };
        }
      }
      const now = context.now().toISOString();
      const note = await deps.transport.createNote(
        { hs_note_body: input.body, hs_timestamp: now, [noteKeyProperty]: key },
        [
          { toId: bound.contact.id, typeId: noteToContact },
          { toId: company.id, typeId: noteToCompany },
        ],
        context.signal,
      );
      context.signal.throwIfAborted();
      return {
        note_id: externalRef('notes', note.id),
        account_id: input.account_id,
        created_at: now,
        already_added: false,
      };
    },
  });
