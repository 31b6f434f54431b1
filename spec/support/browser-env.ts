/** What karma.conf.js passes to browser specs: the real sync server's URL and its control URL. */
declare const __karma__: { config: { args: string[] } };

/** WebSocket URL of the real sync server started by karma.conf.js. */
export function syncServerUrl(): string {
  const url = __karma__.config.args[0];
  if (!url) throw new Error('karma.conf.js started no sync server');
  return url;
}

/** Restart the real sync server (same port, same database file); resolves to its LSN. */
export async function restartSyncServer(): Promise<number> {
  const res = await fetch(`${__karma__.config.args[1]}/restart`, { method: 'POST' });
  if (!res.ok) throw new Error(`restart failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { lsn: number }).lsn;
}

/** The real sync server's LSN. */
export async function syncServerLsn(): Promise<number> {
  const res = await fetch(`${__karma__.config.args[1]}/lsn`);
  return ((await res.json()) as { lsn: number }).lsn;
}

/** A name no other spec uses (IndexedDB databases, ids). */
export function uniqueName(prefix: string): string {
  return `${prefix}-${crypto.randomUUID()}`;
}

/** A fresh real server at app schema version 2 (spec/support/schema-v2.ts); resolves to its URL. */
export async function startV2SyncServer(): Promise<string> {
  const res = await fetch(`${__karma__.config.args[1]}/v2`, { method: 'POST' });
  if (!res.ok) throw new Error(`v2 server failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { url: string }).url;
}
