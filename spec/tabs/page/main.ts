/**
 * The page of the multi-page tabs spec (spec/tabs/pages.node.spec.ts) and of the tabs bench: one
 * real client per page, driven from Node through `window.tabsPage`. Every write is reported to
 * Node the moment it is attempted and the moment it resolves (exposed functions), so a page that
 * is closed, reloaded or frozen mid-stream cannot hide what it saw.
 */
import { createSyncClient, type SyncClient } from '../../../lib/index.js';
import { TEST_SCHEMA } from '../../support/schema.js';

interface Reports {
  reportAttempt?(id: string): Promise<void>;
  reportResolved?(id: string, ms: number): Promise<void>;
  reportFailed?(id: string, code: string): Promise<void>;
}

/** What Node calls in the page. */
export interface TabsPage {
  open(url: string, dbName: string, stealAfter: number, tabs?: boolean): Promise<string>;
  /** Wall-clock ms (Date.now, comparable with Node's) of: open, first synced status, first synced status as leader. */
  times(): { openedAt: number; syncedAt: number | null; leaderSyncedAt: number | null };
  /** Start `count` sequential inserts `${prefix}-${i}` in the background. */
  burst(prefix: string, count: number): void;
  /** Inserts of the current burst still to come or unanswered. */
  busy(): boolean;
  role(): string | undefined;
  connection(): string;
  pending(): number;
  /** Rows of the live query on this spec's ids (updated by query$). */
  liveIds(): string[];
  query(sql: string): Promise<unknown[]>;
  connect(): void;
  disconnect(): void;
  close(): Promise<void>;
}

const scope = globalThis as unknown as Reports & { tabsPage: TabsPage; tabsPageReady: boolean };
let client: SyncClient | null = null;
let running = 0;
let role: string | undefined;
let connection = 'disconnected';
let pending = 0;
let live: string[] = [];
let times = { openedAt: 0, syncedAt: null as number | null, leaderSyncedAt: null as number | null };

scope.tabsPage = {
  async open(url, dbName, stealAfter, tabs = true) {
    times = { openedAt: Date.now(), syncedAt: null, leaderSyncedAt: null };
    const c = createSyncClient({
      url, schema: TEST_SCHEMA, dbName, backoff: { initialDelay: 50, maxDelay: 300 },
      tabs: tabs && { stealAfter, heartbeat: Math.max(50, Math.floor(stealAfter / 5)) },
    });
    client = c;
    c.status$.subscribe((s) => {
      role = s.role;
      connection = s.connection;
      pending = s.pending;
      if (s.connection === 'synced') {
        times.syncedAt ??= Date.now();
        if (s.role === 'leader') times.leaderSyncedAt ??= Date.now();
      }
    });
    c.query$<{ id: string }>(`SELECT id FROM todos WHERE id LIKE '${dbName}%' ORDER BY id`).subscribe((rows) => (live = rows.map((r) => r.id)));
    await c.ready;
    return c.clientId;
  },
  burst(prefix, count) {
    const c = client!;
    running++;
    void (async () => {
      for (let i = 0; i < count; i++) {
        const id = `${prefix}-${String(i).padStart(4, '0')}`;
        await scope.reportAttempt?.(id);
        const t0 = performance.now();
        try {
          await c.insert('todos', { id, title: prefix, done: 0 });
          await scope.reportResolved?.(id, performance.now() - t0);
        } catch (e) {
          await scope.reportFailed?.(id, (e as { code?: string }).code ?? String(e));
        }
      }
      running--;
    })();
  },
  times: () => times,
  busy: () => running > 0,
  role: () => role,
  connection: () => connection,
  pending: () => pending,
  liveIds: () => live,
  query: (sql) => client!.query(sql),
  connect: () => client!.connect(),
  disconnect: () => client!.disconnect(),
  close: () => client!.close(),
};
scope.tabsPageReady = true;
