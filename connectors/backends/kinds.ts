/** The connector kinds a deployment can run on a vendor's system instead of our own tables. */
export const selectableKinds = ['billing', 'crm', 'ticketing', 'calendar'] as const;
export type SelectableKind = (typeof selectableKinds)[number];
