/**
 * Browser variant of `runtime.ts`: the global WebSocket, no file storage.
 */
import type { WebSocketConstructor } from '../transport/index.js';
import type { PlatformParts } from './types.js';

/** The platform parts of a browser (window or worker). */
export async function platformParts(): Promise<PlatformParts> {
  const ws = (globalThis as { WebSocket?: unknown }).WebSocket as WebSocketConstructor | undefined;
  return { WebSocket: ws };
}
