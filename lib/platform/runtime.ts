/**
 * What the sync host needs from the platform it runs on: a WebSocket constructor and, in Node,
 * file storage. This is the Node variant; bundlers use `runtime.browser.ts` instead (package.json
 * `browser` field; our webpack config replaces it the same way). The Node parts are loaded with a
 * dynamic import so that nothing Node-only is evaluated before it is needed.
 */
import type { PlatformParts } from './types.js';

/** The platform parts of Node: `ws` and file persistence (lib/node/). */
export async function platformParts(): Promise<PlatformParts> {
  const node = await import('../node/runtime.js');
  return node.nodePlatformParts();
}
