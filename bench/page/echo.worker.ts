/** The bare postMessage round-trip baseline: every message comes straight back. */
const scope = self as unknown as { onmessage: ((e: MessageEvent) => void) | null; postMessage(m: unknown): void };
scope.onmessage = (e) => scope.postMessage(e.data);
