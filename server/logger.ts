/**
 * The server's logger: levels, one line per event, written to a sink (stderr by default).
 * Tests pass `'silent'`; the CLI uses `'info'`.
 */

/** Levels from chattiest to quietest; `silent` writes nothing. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

/** What the server logs through. Any object with these four methods will do (e.g. pino). */
export interface Logger {
  debug(message: string, context?: Record<string, unknown>): void;
  info(message: string, context?: Record<string, unknown>): void;
  warn(message: string, context?: Record<string, unknown>): void;
  error(message: string, context?: Record<string, unknown>): void;
}

/** Longest line the built-in logger writes (a hostile peer's text cannot flood the log). */
export const MAX_LOG_LINE_CHARS = 2048;

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

/**
 * Make a logger that writes `LEVEL message {context}` lines at or above `level` to `write`.
 * `write` defaults to stderr, so stdout stays free for the CLI's start line.
 */
export function createLogger(level: LogLevel = 'warn', write: (line: string) => void = (l) => process.stderr.write(l + '\n')): Logger {
  const at = (lvl: Exclude<LogLevel, 'silent'>) => (message: string, context?: Record<string, unknown>) => {
    if (RANK[lvl] < RANK[level]) return;
    const line = `${lvl.toUpperCase()} ${message}${context ? ' ' + safeJson(context) : ''}`;
    write(line.length > MAX_LOG_LINE_CHARS ? `${line.slice(0, MAX_LOG_LINE_CHARS)}… (${line.length} chars)` : line);
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** A logger or a level: turn what the options carry into a Logger. */
export function toLogger(option: Logger | LogLevel | undefined): Logger {
  if (option === undefined || typeof option === 'string') return createLogger(option ?? 'warn');
  return option;
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}
