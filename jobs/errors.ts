/**
 * A job failure that retrying cannot fix (a mail that cannot be parsed, an unknown eval suite, an
 * article batch with invalid documents): both runners fail the job at once instead of retrying it.
 */
export class PermanentJobError extends Error {
  override name = 'PermanentJobError';
}
