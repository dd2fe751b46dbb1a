/** Why a document was refused at ingestion. */
export type DocumentErrorCode =
  | 'empty'
  | 'too_large'
  | 'binary'
  | 'invalid_encoding'
  | 'duplicate_slug'
  | 'invalid_metadata'
  | 'missing_visibility'
  | 'unreadable_pdf'
  | 'unsupported_format';

/** One document could not be ingested; `source` names it (file path or slug) so the admin can fix it. */
export class DocumentError extends Error {
  override name = 'DocumentError';
  constructor(
    readonly code: DocumentErrorCode,
    readonly source: string,
    detail: string,
  ) {
    super(`${source}: ${detail}`);
  }
}

/** Several documents of one batch were refused; nothing of the batch was written. */
export class DocumentBatchError extends Error {
  override name = 'DocumentBatchError';
  constructor(readonly errors: DocumentError[]) {
    super(
      `${errors.length} document(s) refused, nothing was ingested: ${errors
        .slice(0, 5)
        .map((error) => error.message)
        .join('; ')}${errors.length > 5 ? ` (+${errors.length - 5} more)` : ''}`,
    );
  }
}

/**
 * The stored index was built with another embedding model or dimension than the one in use.
 * Searching or ingesting would compare incomparable vectors, so it is refused.
 */
export class IndexMismatchError extends Error {
  override name = 'IndexMismatchError';
  constructor(
    readonly indexed: { model: string; dimensions: number },
    readonly requested: { model: string; dimensions: number },
  ) {
    super(
      `The knowledge index was built with ${indexed.model} (${indexed.dimensions}-d) but the configured embedder is ${requested.model} (${requested.dimensions}-d). Run \`npm run kb:reindex\` to rebuild the index with the configured model.`,
    );
  }
}

/** An embedder returned vectors of the wrong size or content (never stored, never compared). */
export class EmbeddingDimensionError extends Error {
  override name = 'EmbeddingDimensionError';
  constructor(model: string, expected: number, got: number | string) {
    super(`Embedding model ${model} returned a ${got}-d vector where ${expected}-d was expected`);
  }
}

/** The embedding provider failed (HTTP error, malformed answer); `retryable` says whether trying later may help. */
export class EmbeddingProviderError extends Error {
  override name = 'EmbeddingProviderError';
  constructor(
    message: string,
    readonly retryable: boolean,
    options: { cause?: unknown } = {},
  ) {
    super(message, options);
  }
}

/**
 * The embedding worker thread failed: it crashed, timed out, or answered with an error. The request
 * fails with this; the next one starts a fresh thread (knowledge/worker-embedder.ts).
 */
export class EmbeddingWorkerError extends Error {
  override name = 'EmbeddingWorkerError';
}
