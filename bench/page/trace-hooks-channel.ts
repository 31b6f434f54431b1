/** The BroadcastChannel a traced worker (trace-hooks.ts) answers on: `rsw-bench-trace-<worker name>`. */
export const TRACE_CHANNEL_PREFIX = 'rsw-bench-trace-';
