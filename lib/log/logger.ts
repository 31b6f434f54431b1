/**
 * A small levelled logger. It writes structured records to a sink (the console by default), so
 * a test can collect them and a worker can forward them. Time comes from the `now` given.
 */

/** Levels, lowest first. `silent` logs nothing. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

/** One log record. */
export interface LogRecord {
  level: Exclude<LogLevel, 'silent'>;
  /** ms, from the logger's `now`. */
  time: number;
  message: string;
  /** Structured context (change_id, lsn, counts...). */
  context?: Record<string, unknown>;
}

/** Where records go. */
export type LogSink = (record: LogRecord) => void;

/** The logger interface the library uses (an app may pass its own). */
export interface Logger {
  readonly level: LogLevel;
  debug(message: string, context?: Record<string, unknown>): void;
  info(message: string, context?: Record<string, unknown>): void;
  warn(message: string, context?: Record<string, unknown>): void;
  error(message: string, context?: Record<string, unknown>): void;
  /** A logger that adds `bindings` to every record's context. */
  child(bindings: Record<string, unknown>): Logger;
}

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** Lowest level written (default `info`). */
  level?: LogLevel;
  /** Where records go (default: the console). */
  sink?: LogSink;
  /** Clock for `time` (default: 0, i.e. no time; pass the engine scheduler's `now`). */
  now?: () => number;
  /** Context added to every record. */
  bindings?: Record<string, unknown>;
}

/** The console sink: one line per record. */
export const consoleSink: LogSink = (r) => {
  const line = `[rx-sync ${r.level}] ${r.message}`;
  const method = r.level === 'debug' ? 'debug' : r.level === 'info' ? 'info' : r.level === 'warn' ? 'warn' : 'error';
  if (r.context) console[method](line, r.context);
  else console[method](line);
};

/** Create a logger. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? 'info';
  const sink = options.sink ?? consoleSink;
  const now = options.now ?? (() => 0);
  const bindings = options.bindings;
  const write = (l: Exclude<LogLevel, 'silent'>) => (message: string, context?: Record<string, unknown>): void => {
    if (RANK[l] < RANK[level]) return;
    const merged = bindings || context ? { ...bindings, ...context } : undefined;
    sink(merged ? { level: l, time: now(), message, context: merged } : { level: l, time: now(), message });
  };
  return {
    level,
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    child: (more) => createLogger({ level, sink, now, bindings: { ...bindings, ...more } }),
  };
}

/** A logger that writes nothing. */
export const silentLogger: Logger = createLogger({ level: 'silent', sink: () => undefined });
