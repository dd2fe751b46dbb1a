/** The part of a pino logger the pipeline uses; any pino logger fits. */
export interface Logger {
  debug(object: object, message?: string): void;
  warn(object: object, message?: string): void;
  error(object: object, message?: string): void;
}

/** A logger that drops everything (the default). */
export const silentLogger: Logger = { debug() {}, warn() {}, error() {} };
