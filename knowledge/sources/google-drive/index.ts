/** The Google Drive knowledge source: see sync.ts and docs/knowledge.md ("Google Drive"). */
export * from './client.ts';
export * from './settings.ts';
export * from './sync.ts';
