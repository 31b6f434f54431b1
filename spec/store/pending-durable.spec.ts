import { memoryPersistence, type Persistence } from '../../lib/store/persistence.js';
import { insert, openMem } from './helpers.js';

/** A medium whose appends wait until released: "the disk is slow right now". */
class GatedPersistence implements Persistence {
  readonly name = 'gated';
  private readonly inner = memoryPersistence();
  private gates: Array<() => void> = [];
  private held = true;
  load() {
    return this.inner.load();
  }
  async append(frames: Uint8Array) {
    if (this.held) await new Promise<void>((resolve) => this.gates.push(resolve));
    return this.inner.append(frames);
  }
  replaceSnapshot(s: Uint8Array) {
    return this.inner.replaceSnapshot(s);
  }
  close() {
    return this.inner.close();
  }
  /** Let every waiting and future append through. */
  open(): void {
    this.held = false;
    for (const g of this.gates.splice(0)) g();
  }
}

describe('store: pending changes are offered to the engine only once durable', () => {
  it('leaves out a recording whose transaction is not persisted yet, and every later one', async () => {
    const medium = new GatedPersistence();
    const store = await openMem(undefined, { persistence: medium });
    store.recordLocalChanges([insert('a', 'first')], 1);
    store.recordLocalChanges([insert('b', 'second')], 2);
    // Nothing persisted yet: nothing may be sent.
    expect(store.pendingChanges()).toEqual([]);
    expect(store.counts().pending).toBe(2);
    medium.open();
    await store.whenDurable();
    expect(store.pendingChanges().map((c) => c.entity_id)).toEqual(['a', 'b']);
    await store.close();
  });
});
