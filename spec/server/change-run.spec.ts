/**
 * Taking a run of client_change frames off a connection's inbox (server/change-run.ts), with a
 * fake inbox and a counting decoder: the frames right behind the head join while they are
 * client_change frames within the run's bounds and admitted; the first that does not stays in
 * the inbox, and is decoded only once although it was looked at ahead. Also the run's bounds
 * and the token bucket's `admit` (on an injected clock).
 */
import { decodeClientFrame, type ClientChange, type ClientChangeFrame } from '../../lib/protocol/index.js';
import { MAX_GROUP_CHANGES, MAX_GROUP_FRAMES } from '../../server/apply-queue.js';
import { FrameReader, runBounds, takeRun } from '../../server/change-run.js';
import type { Lookahead } from '../../server/inbox.js';
import { DEFAULT_LIMITS, TokenBucket } from '../../server/limits.js';

// Not helpers.ts's: it imports the server and ws, and this spec also runs in the browser.
const todo = (change_id: string, id: string, title: string): ClientChange => ({ change_id, entity: 'todos', entity_id: id, op: 'insert', data: { id, title, done: 0 } });
const cc = (name: string, n = 1): string =>
  JSON.stringify({ type: 'client_change', changes: Array.from({ length: n }, (_, i) => todo(`${name}-${i}`, `${name}-${i}`, 'x')) });
const ping = JSON.stringify({ type: 'ping', t: 1 });

/** An inbox holding `frames`, and a reader that counts its decodes per text. */
function setup(frames: string[]) {
  const waiting = [...frames];
  const rest: Lookahead = { peek: () => waiting[0], take: () => waiting.shift() };
  const decodes = new Map<string, number>();
  const reader = new FrameReader((text) => {
    decodes.set(text, (decodes.get(text) ?? 0) + 1);
    return decodeClientFrame(text);
  });
  return { waiting, rest, reader, decodes };
}

const headOf = (reader: FrameReader, text: string): ClientChangeFrame => {
  const d = reader.read(text);
  if (d._tag === 'Left' || d.right.type !== 'client_change') throw new Error('not a client_change');
  return d.right;
};
const names = (run: ClientChangeFrame[]) => run.map((f) => f.changes[0]!.change_id.split('-')[0]);
const all = () => true;

describe('takeRun', () => {
  it('takes the client_change frames behind the head, up to the first other frame, which stays and is decoded once', () => {
    const s = setup([cc('b'), cc('c'), ping, cc('d')]);
    const run = takeRun(headOf(s.reader, cc('a')), s.rest, s.reader, { frames: 32, changes: 100 }, all);
    expect(names(run)).toEqual(['a', 'b', 'c']);
    expect(s.waiting).toEqual([ping, cc('d')]);
    s.reader.read(ping); // its own turn: the look ahead is reused
    expect(s.decodes.get(ping)).toBe(1);
    expect([...s.decodes.values()].every((n) => n === 1)).toBeTrue();
  });

  it('stops at a frame that does not decode (it is answered on its own turn)', () => {
    const s = setup([cc('b'), '{"type":"client_change"', cc('c')]);
    expect(names(takeRun(headOf(s.reader, cc('a')), s.rest, s.reader, { frames: 32, changes: 100 }, all))).toEqual(['a', 'b']);
    expect(s.waiting.length).toBe(2);
  });

  it('stops at the frame bound and before a frame that would pass the change bound', () => {
    const s = setup([cc('b'), cc('c'), cc('d')]);
    expect(names(takeRun(headOf(s.reader, cc('a')), s.rest, s.reader, { frames: 2, changes: 100 }, all))).toEqual(['a', 'b']);
    const t = setup([cc('b', 3), cc('c', 2), cc('d')]);
    expect(names(takeRun(headOf(t.reader, cc('a', 2)), t.rest, t.reader, { frames: 32, changes: 6 }, all))).toEqual(['a', 'b']);
    expect(t.waiting).toEqual([cc('c', 2), cc('d')]);
    // A head bigger than the bound is a run of its own.
    const u = setup([cc('b')]);
    expect(names(takeRun(headOf(u.reader, cc('a', 9)), u.rest, u.reader, { frames: 32, changes: 6 }, all))).toEqual(['a']);
  });

  it('asks admit for each frame that would join, and stops at the first it refuses', () => {
    const s = setup([cc('b'), cc('c'), cc('d')]);
    const asked: string[] = [];
    const run = takeRun(headOf(s.reader, cc('a')), s.rest, s.reader, { frames: 32, changes: 100 }, (f) => {
      asked.push(f.changes[0]!.change_id);
      return asked.length < 2;
    });
    expect(names(run)).toEqual(['a', 'b']);
    expect(asked).toEqual(['b-0', 'c-0']);
    expect(s.waiting).toEqual([cc('c'), cc('d')]);
  });

  it('bounds a run by the apply group and one frame of changes; with access rules a run is one frame', () => {
    expect(runBounds({ access: null, limits: DEFAULT_LIMITS })).toEqual({ frames: MAX_GROUP_FRAMES, changes: Math.min(MAX_GROUP_CHANGES, DEFAULT_LIMITS.maxChangesPerFrame) });
    expect(runBounds({ access: null, limits: { ...DEFAULT_LIMITS, maxChangesPerFrame: 10 } }).changes).toBe(10);
    expect(runBounds({ access: {} as never, limits: DEFAULT_LIMITS }).frames).toBe(1);
  });
});

describe('TokenBucket.admit', () => {
  it('spends while the bucket is not in debt (the last one may go into debt), then refuses until it refills', () => {
    let clock = 0;
    const bucket = new TokenBucket(10, 2, () => clock);
    expect(bucket.admit(1)).toBeTrue(); // 1 left
    expect(bucket.admit(2)).toBeTrue(); // -1: into debt
    expect(bucket.admit(1)).toBeFalse(); // in debt: nothing spent
    expect(bucket.waitMs()).toBe(100);
    clock += 100;
    expect(bucket.admit(1)).toBeTrue();
  });
});
