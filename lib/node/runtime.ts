/**
 * Node platform parts for the in-process sync host: the `ws` WebSocket (an optional peer
 * dependency: install `ws` to sync from Node) and file persistence.
 */
import type { PlatformParts } from '../platform/types.js';
import type { WebSocketConstructor } from '../transport/index.js';
import { filePersistence } from './file-persistence.js';

/** Build the Node platform parts. */
export async function nodePlatformParts(): Promise<PlatformParts> {
  const ws = await import('ws');
  return {
    WebSocket: ws.WebSocket as unknown as WebSocketConstructor,
    filePersistence: (path: string) => filePersistence({ path }),
  };
}
