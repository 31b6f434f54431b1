/**
 * One client's column of the demo page: its live status (connection, LSN, pending, failed,
 * catch-up, changes per second, last errors), an online/offline switch, and the shared todo list.
 * Only the public API is used. Dynamic text always goes through `textContent`, never HTML.
 */
import { Subject, Subscription, map, merge, scan } from 'rxjs';
import type { SyncClient, SyncError, SyncStatus } from '../lib/index.js';
import { changesPerWindow, rateHistory } from './rate.js';
import type { Todo } from './schema.js';

/** Errors kept on screen. */
const SHOWN_ERRORS = 3;
/** Rows listed (newest first); the count line shows the total. */
const LISTED = 100;
/** Items written by the "+20" button, in one transaction. */
const BURST = 20;

const TEMPLATE = `
  <header class="panel-head">
    <h2></h2>
    <label class="switch"><input type="checkbox" data-role="online" checked><span class="track"></span><span data-field="online-label">online</span></label>
  </header>
  <dl class="status">
    <dt>Connection</dt><dd><span class="badge" data-field="connection">starting</span></dd>
    <dt>This tab</dt><dd data-field="role" title="Tabs that open the demo share one engine per client: the leader tab runs it, the others relay to it">-</dd>
    <dt>LSN</dt><dd data-field="lsn">0</dd>
    <dt>Pending</dt><dd data-field="pending">0</dd>
    <dt>Failed</dt><dd data-field="failed">0</dd>
    <dt>Catch-up</dt><dd><progress data-field="catchup" max="1" value="0"></progress> <span data-field="catchup-text">idle</span></dd>
    <dt>Changes/s</dt><dd class="rate"><span data-field="rate">0</span><span class="spark" data-field="spark"></span></dd>
    <dt>Last errors</dt><dd><ul class="errors" data-field="errors"><li class="none">none</li></ul></dd>
  </dl>
  <form data-role="add">
    <input name="title" placeholder="What needs doing?" autocomplete="off" maxlength="200" required>
    <button type="submit">Add</button>
    <button type="button" data-role="burst" title="Add ${BURST} items in one transaction">+${BURST}</button>
  </form>
  <p class="count" data-field="count"></p>
  <ul class="todos" data-field="todos"></ul>`;

/** Render `client` into `root` (an empty element) under the heading `title`. Unsubscribe to stop. */
export function mountClientPanel(root: HTMLElement, title: string, client: SyncClient): Subscription {
  root.classList.add('panel');
  root.innerHTML = TEMPLATE;
  root.querySelector('h2')!.textContent = title;
  const field = <T extends HTMLElement = HTMLElement>(name: string) => root.querySelector<T>(`[data-field="${name}"]`)!;
  const uiErrors = new Subject<SyncError | Error>();
  const report = (p: Promise<unknown>) => void p.catch((e: Error) => uiErrors.next(e));
  const subs = new Subscription();

  subs.add(client.status$.subscribe((s) => renderStatus(field, s)));
  subs.add(
    merge(client.errors$, uiErrors)
      .pipe(scan((shown, e) => [describeError(e), ...shown].slice(0, SHOWN_ERRORS), [] as string[]))
      .subscribe((lines) => renderList(field('errors'), lines, 'none')),
  );
  const rate$ = changesPerWindow(client.status$);
  subs.add(rateHistory(rate$).subscribe((hist) => renderRate(field, hist)));
  subs.add(
    client.query$<Todo>(`SELECT id, title, done, created FROM todos ORDER BY created DESC, id LIMIT ${LISTED}`)
      .subscribe((rows) => renderTodos(field('todos'), rows, client, report)),
  );
  subs.add(
    client.query$<{ n: number; done: number | null }>('SELECT count(*) AS n, sum(done) AS done FROM todos')
      .pipe(map(([r]) => `${r?.n ?? 0} items, ${r?.done ?? 0} done`))
      .subscribe((text) => (field('count').textContent = text)),
  );

  const online = root.querySelector<HTMLInputElement>('[data-role="online"]')!;
  online.addEventListener('change', () => {
    // The switch only asks; the badge shows what the connection really does.
    if (online.checked) client.connect();
    else client.disconnect();
    field('online-label').textContent = online.checked ? 'online' : 'offline';
    root.classList.toggle('is-offline', !online.checked);
  });
  const form = root.querySelector<HTMLFormElement>('[data-role="add"]')!;
  const input = form.querySelector<HTMLInputElement>('input[name="title"]')!;
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const text = input.value.trim();
    if (text === '') return;
    input.value = '';
    report(client.insert('todos', newTodo(text)));
  });
  root.querySelector('[data-role="burst"]')!.addEventListener('click', () => {
    const now = Date.now();
    const rows = Array.from({ length: BURST }, (_, i) => newTodo(`${title} item ${i + 1}/${BURST}`, now + i));
    report(client.write(rows.map((row) => ({ op: 'insert' as const, table: 'todos', row }))));
  });
  return subs;
}

/** A new todo row; the id is random so two offline clients never collide. */
function newTodo(title: string, created = Date.now()): Todo {
  return { id: crypto.randomUUID(), title, done: 0, created };
}

function renderStatus(field: (name: string) => HTMLElement, s: SyncStatus): void {
  const badge = field('connection');
  badge.textContent = s.connection.replace('_', ' ');
  badge.className = `badge state-${s.connection}`;
  field('role').textContent = s.role ?? 'own engine';
  field('lsn').textContent = String(s.lsn);
  field('pending').textContent = s.inFlight > 0 ? `${s.pending} (${s.inFlight} in flight)` : String(s.pending);
  field('failed').textContent = String(s.failed);
  const bar = field('catchup') as HTMLProgressElement;
  if (s.catchingUp) {
    // Progress through the catch-up range [from, to].
    const span = Math.max(1, s.catchingUp.to - s.catchingUp.from);
    bar.value = Math.min(1, s.catchingUp.done / span);
    field('catchup-text').textContent = `${s.catchingUp.done} / ${s.catchingUp.to - s.catchingUp.from}`;
  } else {
    bar.value = s.connection === 'synced' ? 1 : 0;
    field('catchup-text').textContent = s.connection === 'synced' ? 'up to date' : s.connection === 'disconnected' ? 'offline' : 'waiting';
  }
}

function renderRate(field: (name: string) => HTMLElement, hist: number[]): void {
  field('rate').textContent = String(hist[hist.length - 1] ?? 0);
  const max = Math.max(1, ...hist);
  const bars = hist.map((n) => {
    const bar = document.createElement('i');
    bar.style.height = `${Math.round((n / max) * 100)}%`;
    bar.title = `${n}/s`;
    return bar;
  });
  field('spark').replaceChildren(...bars);
}

function renderTodos(list: HTMLElement, rows: Todo[], client: SyncClient, report: (p: Promise<unknown>) => void): void {
  list.replaceChildren(
    ...rows.map((t) => {
      const li = document.createElement('li');
      li.dataset['id'] = t.id;
      li.classList.toggle('done', t.done === 1);
      const box = document.createElement('input');
      box.type = 'checkbox';
      box.checked = t.done === 1;
      box.addEventListener('change', () => report(client.update('todos', t.id, { done: box.checked ? 1 : 0 })));
      const text = document.createElement('span');
      text.className = 'title';
      text.textContent = t.title;
      const del = document.createElement('button');
      del.className = 'delete';
      del.title = 'Delete';
      del.textContent = '×';
      del.addEventListener('click', () => report(client.delete('todos', t.id)));
      li.append(box, text, del);
      return li;
    }),
  );
}

function renderList(list: HTMLElement, lines: string[], empty: string): void {
  const items = lines.length > 0 ? lines : [empty];
  list.replaceChildren(
    ...items.map((line) => {
      const li = document.createElement('li');
      li.textContent = line;
      if (lines.length === 0) li.className = 'none';
      return li;
    }),
  );
}

function describeError(e: SyncError | Error): string {
  const time = new Date().toLocaleTimeString();
  const code = 'code' in e ? `${e.code}: ` : '';
  return `${time} ${code}${e.message}`;
}
