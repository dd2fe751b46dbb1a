/** The Zendesk Guide (help center) knowledge source: see sync.ts and docs/knowledge.md. */
export * from './settings.ts';
export * from './sync.ts';
export * from './transport.ts';
