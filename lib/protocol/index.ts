/** The single source of every message type and of the schema declaration. */
export * from './primitives.js';
export * from './chunk.js';
export * from './schema.js';
export * from './server-messages.js';
export * from './worker-messages.js';
export * from './decode.js';
