/** One chunk of an AI SDK UI message stream, as sent over SSE. */
export interface UiChunk {
  type: string;
  id?: string;
  delta?: string;
  data?: Record<string, unknown>;
  url?: string;
  [key: string]: unknown;
}

/** Parses an SSE UI message stream body into its chunks (the `[DONE]` marker dropped). */
export function parseUiStream(body: string): UiChunk[] {
  return body
    .split('\n\n')
    .map((frame) => frame.trim())
    .filter((frame) => frame.startsWith('data: '))
    .map((frame) => frame.slice('data: '.length))
    .filter((data) => data !== '[DONE]')
    .map((data) => JSON.parse(data) as UiChunk);
}

/** The text the stream's text parts spell. */
export const streamedText = (chunks: UiChunk[]): string =>
  chunks
    .filter((chunk) => chunk.type === 'text-delta')
    .map((chunk) => chunk.delta)
    .join('');

export const dataParts = (chunks: UiChunk[], type: string): UiChunk[] =>
  chunks.filter((chunk) => chunk.type === `data-${type}`);
