/** The platform-specific parts the sync host is wired with. */
import type { Persistence } from '../store/persistence.js';
import type { WebSocketConstructor } from '../transport/index.js';

/** What differs between a browser and Node. */
export interface PlatformParts {
  /** The WebSocket constructor (browser global, or `ws` in Node); undefined = offline only. */
  WebSocket: WebSocketConstructor | undefined;
  /** File storage (Node only). */
  filePersistence?: (path: string) => Persistence;
}
