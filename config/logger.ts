import pino, { type DestinationStream, type Logger } from 'pino';
import pretty from 'pino-pretty';
import { z } from 'zod';
import { loadConfig } from './load.ts';

/**
 * How the long-running processes (`npm start`, `npm run worker`) write their logs: human-readable
 * lines (pino-pretty) when stdout is a terminal, one JSON object per line otherwise (a log collector,
 * a pipe, a file). `LOG_FORMAT=pretty|json` overrides the guess.
 */
export const logFormatSettings = {
  LOG_FORMAT: z.enum(['auto', 'pretty', 'json'], { error: 'must be auto, pretty or json' }).default('auto'),
};

export type LogFormat = z.infer<typeof logFormatSettings.LOG_FORMAT>;

/** The format `format` means here: `auto` is pretty on a terminal, JSON otherwise. */
export function resolveLogFormat(
  format: LogFormat,
  isTerminal: boolean = Boolean(process.stdout.isTTY),
): 'pretty' | 'json' {
  if (format !== 'auto') return format;
  return isTerminal ? 'pretty' : 'json';
}

/** The destination for `format`: pino-pretty (colours on a terminal) or stdout as JSON lines. */
export function logDestinationFor(
  format: 'pretty' | 'json',
  isTerminal: boolean = Boolean(process.stdout.isTTY),
): DestinationStream {
  if (format === 'json') return pino.destination({ dest: 1, sync: false });
  return pretty({
    colorize: isTerminal,
    translateTime: 'SYS:HH:MM:ss.l',
    // A request's fields are in the message (below); its id stays, to match a request with its reply.
    ignore: 'pid,hostname,req,res,responseTime',
    messageFormat: requestMessage,
    // One line per event: a job's or an error's fields stay next to the message.
    singleLine: true,
    // A terminal reader sees the last lines before an exit.
    sync: true,
  });
}

/** Fastify's request lines, readable: `incoming request GET /api/…`, `request completed 200 in 4.2 ms`. */
function requestMessage(log: Record<string, unknown>, messageKey: string): string {
  const message = String(log[messageKey] ?? '');
  const request = log.req as { method?: string; url?: string } | undefined;
  const response = log.res as { statusCode?: number } | undefined;
  const parts = [message];
  if (request?.method) parts.push(`${request.method} ${request.url}`);
  if (response?.statusCode) parts.push(String(response.statusCode));
  if (typeof log.responseTime === 'number') parts.push(`in ${log.responseTime.toFixed(1)} ms`);
  return parts.join(' ');
}

let shared: DestinationStream | undefined;

/**
 * The one destination every logger of this process writes to (the app's and Fastify's), chosen from
 * LOG_FORMAT (read here, like every setting, by config/) and whether stdout is a terminal.
 */
export function logDestination(source: Record<string, string | undefined> = process.env): DestinationStream {
  if (!shared) {
    const { LOG_FORMAT } = loadConfig(z.object(logFormatSettings), source);
    shared = logDestinationFor(resolveLogFormat(LOG_FORMAT));
  }
  return shared;
}

/** A pino logger at `level` on the process's log destination (see logDestination). */
export function createLogger(options: { level: string }): Logger {
  return pino({ level: options.level }, logDestination());
}
