/** The page read-ahead's rules (server/read-ahead.ts): one page per connection, a hub-wide byte budget. */
import { PageReadAhead, ReadAheadBudget, pageKey } from '../../server/read-ahead.js';
import type { Page } from '../../server/store.js';

const page = (lsn: number): Page => ({ changesJson: [`{"lsn":${lsn}}`], lsn, complete: false });

describe('page read-ahead', () => {
  it('reads after the current task and serves the page to the request that names it', async () => {
    const budget = new ReadAheadBudget(100);
    const ahead = new PageReadAhead(budget, 40);
    let reads = 0;
    ahead.start(pageKey(0, 10, 5), () => {
      reads++;
      return page(6);
    });
    expect(reads).withContext('not inside start()').toBe(0);
    expect(budget.reserved).toBe(40);
    expect(await ahead.take(pageKey(0, 10, 5))).toEqual(page(6));
    expect(reads).toBe(1);
    expect(budget.reserved).toBe(0);
    expect(ahead.take(pageKey(0, 10, 5))).withContext('served once').toBeNull();
  });

  it('drops the page when the client asks for another one, or when it closes', async () => {
    const budget = new ReadAheadBudget(100);
    const ahead = new PageReadAhead(budget, 40);
    ahead.start(pageKey(0, 10, 5), () => page(6));
    expect(ahead.take(pageKey(0, 10, 7))).toBeNull();
    expect(ahead.take(pageKey(0, 10, 5))).withContext('dropped, not kept for later').toBeNull();
    expect(budget.reserved).toBe(0);
    ahead.start(pageKey(6, 10, undefined), () => Promise.resolve(page(16)));
    ahead.clear();
    expect(budget.reserved).toBe(0);
    expect(ahead.take(pageKey(6, 10, undefined))).toBeNull();
  });

  it('holds one page per connection, and no more pages than the hub-wide budget', async () => {
    const budget = new ReadAheadBudget(100);
    const a = new PageReadAhead(budget, 60);
    const b = new PageReadAhead(budget, 60);
    a.start('k', () => page(1));
    a.start('k2', () => page(2)); // replaces its first page: still one reservation
    expect(budget.reserved).toBe(60);
    let readByB = false;
    b.start('k', () => {
      readByB = true;
      return page(3);
    });
    expect(b.take('k')).withContext('over the budget: not read ahead').toBeNull();
    expect(await a.take('k2')).toEqual(page(2));
    await Promise.resolve();
    expect(readByB).toBeFalse();
    expect(budget.reserved).toBe(0);
  });

  it('forgets a read that fails (the request reads again and reports it)', async () => {
    const ahead = new PageReadAhead(new ReadAheadBudget(100), 10);
    ahead.start('k', () => Promise.reject(new Error('database gone')));
    expect(await ahead.take('k')).toBeNull();
    ahead.start('k', () => {
      throw new Error('database gone');
    });
    expect(await ahead.take('k')).toBeNull();
  });
});
