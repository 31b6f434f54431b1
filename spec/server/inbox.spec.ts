/**
 * A connection's inbox (server/inbox.ts), with a fake socket and a handler held by promises (no
 * timers): units are handed on one at a time, in order; a unit's handler may take the frames
 * right behind its head, and the next unit starts at the first frame it left; the frames of the
 * unit in hand count against the byte limit until it ends; a stopped inbox hands on nothing more.
 */
import { Inbox, type Lookahead } from '../../server/inbox.js';

/** A socket that records pause / resume. */
function socket() {
  const log: string[] = [];
  return { log, pause: () => void log.push('pause'), resume: () => void log.push('resume') };
}

/** A handler that logs each unit and waits for `release()` before it ends; `takes` decides how many frames each unit takes behind its head. */
function heldHandler(takes: (head: string, rest: Lookahead) => number) {
  const units: string[][] = [];
  const gates: Array<() => void> = [];
  let started: () => void = () => undefined;
  const handle = (head: string, rest: Lookahead) => {
    const unit = [head];
    for (let n = takes(head, rest); n > 0; n--) {
      const t = rest.take();
      if (t !== undefined) unit.push(t);
    }
    units.push(unit);
    started();
    return new Promise<void>((ok) => gates.push(ok));
  };
  return {
    units,
    handle,
    /** Resolves when the next unit has started. */
    nextStart: () => new Promise<void>((ok) => (started = ok)),
    release: () => gates.shift()!(),
  };
}

describe('Inbox', () => {
  it('hands on one unit at a time, in order, each after the one before has ended', async () => {
    const h = heldHandler(() => 0);
    const inbox = new Inbox(socket(), 1000, h.handle, () => 0);
    let started = h.nextStart();
    inbox.push('a');
    await started;
    for (const f of ['b', 'c', 'd', 'e']) inbox.push(f); // arrive while `a` is handled
    expect(h.units).toEqual([['a']]); // b waits for a to end
    started = h.nextStart();
    h.release();
    await started;
    expect(h.units).toEqual([['a'], ['b']]);
    started = h.nextStart();
    h.release();
    await started;
    expect(h.units).toEqual([['a'], ['b'], ['c']]);
    started = h.nextStart();
    h.release();
    await started;
    started = h.nextStart();
    h.release();
    await started;
    h.release();
    await inbox.idle();
    expect(h.units).toEqual([['a'], ['b'], ['c'], ['d'], ['e']]);
  });

  it('lets a unit take the frames waiting behind it, in order, and peek without taking', async () => {
    const peeked: (string | undefined)[] = [];
    const h = heldHandler((head, rest) => {
      peeked.push(rest.peek());
      return head === 'b' ? 2 : 0;
    });
    const inbox = new Inbox(socket(), 1000, h.handle, () => 0);
    let started = h.nextStart();
    inbox.push('a');
    await started;
    for (const f of ['b', 'c', 'd', 'e']) inbox.push(f);
    started = h.nextStart();
    h.release();
    await started; // b takes c and d
    expect(h.units).toEqual([['a'], ['b', 'c', 'd']]);
    started = h.nextStart();
    h.release();
    await started;
    h.release();
    await inbox.idle();
    expect(h.units).toEqual([['a'], ['b', 'c', 'd'], ['e']]);
    expect(peeked).toEqual([undefined, 'c', undefined]);
  });

  it('counts the frames of the unit in hand against the byte limit until the unit ends', async () => {
    const s = socket();
    const h = heldHandler(() => 1);
    const inbox = new Inbox(s, 10, h.handle, () => 0);
    let started = h.nextStart();
    inbox.push('aaaaaa'); // 6 bytes in hand
    await started;
    inbox.push('bbbbbb'); // 12 > 10: waiting (6) + in hand (6)
    expect(s.log).toEqual(['pause']);
    started = h.nextStart();
    h.release(); // a ends: 6 left, in hand again (b)
    await started;
    expect(s.log).toEqual(['pause']); // 6 > 10 / 2: still paused
    h.release();
    await inbox.idle();
    expect(s.log).toEqual(['pause', 'resume']);
  });

  it('after stop hands on nothing more and gives the unit in hand nothing to take', async () => {
    const s = socket();
    let rest: Lookahead | null = null;
    const h = heldHandler((_head, r) => ((rest = r), 0));
    const inbox = new Inbox(s, 4, h.handle, () => 0);
    const started = h.nextStart();
    inbox.push('aaa');
    await started;
    inbox.push('bbb'); // paused
    inbox.stop();
    expect(rest!.peek()).toBeUndefined();
    expect(rest!.take()).toBeUndefined();
    inbox.push('ccc'); // ignored
    h.release();
    await inbox.idle();
    expect(h.units).toEqual([['aaa']]);
    expect(s.log).toEqual(['pause']); // a closing socket is not read again
  });
});
