/** The connection manager (see transport.ts). */
export { createTransport } from './transport.js';
export { TRANSPORT_DEFAULTS } from './options.js';
export { heartbeat, type HeartbeatSignal } from './heartbeat.js';
export {
  ClientCloseCodes,
  type HeartbeatOptions,
  type HelloInfo,
  type Transport,
  type TransportLogger,
  type TransportOptions,
  type WebSocketConstructor,
  type WebSocketLike,
} from './types.js';
