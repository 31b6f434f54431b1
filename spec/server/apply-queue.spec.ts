/**
 * The server's ordered queue (server/apply-queue.ts), with a recording writer: tasks and applies
 * run in arrival order, applies queued back to back are written as one group when the writer has
 * group commit, a task between them ends the group, a group that fails is written frame by frame
 * (each frame its own outcome), and every continuation runs in order with its own outcome. A run
 * of one sender's frames is one write (merged without group commit, in the group with it), each
 * frame getting its own outcome.
 */
import { ApplyQueue, MAX_GROUP_CHANGES, MAX_GROUP_FRAMES, type FrameWriter } from '../../server/apply-queue.js';
import type { ApplyOutcome } from '../../server/store.js';
import type { FrameRequest } from '../../server/storage/types.js';

const frame = (clientId: string, n = 1): FrameRequest => ({
  clientId,
  changes: Array.from({ length: n }, (_, i) => ({ change_id: `${clientId}-${i}`, entity: 't', entity_id: `${i}`, op: 'delete' as const, data: null })),
  permit: null,
  sub: null,
  known: null,
});
const outcome = (f: FrameRequest): ApplyOutcome => ({ acks: [], committed: [], prevLsn: f.changes.length });

/** A writer that logs each call; a frame of client `bad` fails; `groups` false: no group commit. */
function recorder(groups: boolean, failGroups = false) {
  const log: string[] = [];
  let gate: Promise<void> = Promise.resolve();
  const writer: FrameWriter = {
    one: async (f) => {
      await gate;
      log.push(`one ${f.clientId}`);
      if (f.clientId === 'bad') throw new Error('bad frame');
      return outcome(f);
    },
    many: groups
      ? async (fs) => {
          await gate;
          log.push(`many ${fs.map((f) => f.clientId).join(',')}`);
          if (failGroups || fs.some((f) => f.clientId === 'bad')) throw new Error('group failed');
          return fs.map(outcome);
        }
      : null,
  };
  return { log, writer, hold: (p: Promise<void>) => (gate = p) };
}

/** Queue applies and tasks while the writer is held, then let go; returns the order of events. */
async function scenario(groups: boolean, steps: (q: ApplyQueue, log: string[]) => Promise<unknown>[], failGroups = false): Promise<string[]> {
  const r = recorder(groups, failGroups);
  let release!: () => void;
  r.hold(new Promise<void>((ok) => (release = ok)));
  const q = new ApplyQueue(r.writer);
  const done = steps(q, r.log);
  release();
  await Promise.allSettled(done);
  return r.log;
}

const apply = (q: ApplyQueue, log: string[], f: FrameRequest) =>
  q.apply([f.changes.length], () => [f], ([o]) => log.push(`then ${f.clientId} ${o instanceof Error ? `error ${o.message}` : `ok ${o!.prevLsn}`}`));

describe('ApplyQueue', () => {
  it('writes applies queued back to back as one group, then runs each continuation in order', async () => {
    const log = await scenario(true, (q, l) => [apply(q, l, frame('a')), apply(q, l, frame('b', 2)), apply(q, l, frame('c', 3))]);
    // The first apply starts alone (nothing waits behind it yet when its turn comes); the two behind it share one group.
    expect(log).toEqual(['one a', 'then a ok 1', 'many b,c', 'then b ok 2', 'then c ok 3']);
  });

  it('without group commit writes each frame alone, in order', async () => {
    const log = await scenario(false, (q, l) => [apply(q, l, frame('a')), apply(q, l, frame('b')), apply(q, l, frame('c'))]);
    expect(log).toEqual(['one a', 'then a ok 1', 'one b', 'then b ok 1', 'one c', 'then c ok 1']);
  });

  it('ends a group at a task queued between applies, and runs the task in its place', async () => {
    const log = await scenario(true, (q, l) => [
      apply(q, l, frame('a')), apply(q, l, frame('b')), apply(q, l, frame('c')),
      q.serial(() => l.push('task')),
      apply(q, l, frame('d')), apply(q, l, frame('e')),
    ]);
    expect(log).toEqual(['one a', 'then a ok 1', 'many b,c', 'then b ok 1', 'then c ok 1', 'task', 'many d,e', 'then d ok 1', 'then e ok 1']);
  });

  it('writes a failed group again frame by frame: only the bad frame gets the error', async () => {
    const log = await scenario(true, (q, l) => [apply(q, l, frame('a')), apply(q, l, frame('b')), apply(q, l, frame('bad')), apply(q, l, frame('c'))]);
    expect(log).toEqual(['one a', 'then a ok 1', 'many b,bad,c', 'one b', 'one bad', 'one c', 'then b ok 1', 'then bad error bad frame', 'then c ok 1']);
  });

  it('bounds a group by its changes', async () => {
    const half = MAX_GROUP_CHANGES / 2;
    const log = await scenario(true, (q, l) => [apply(q, l, frame('a')), apply(q, l, frame('b', half)), apply(q, l, frame('c', half)), apply(q, l, frame('d', 1))]);
    expect(log.filter((e) => !e.startsWith('then'))).toEqual(['one a', 'many b,c', 'one d']);
  });

  it('keeps going after a task or a continuation throws, and reports it to its caller', async () => {
    const r = recorder(true);
    const q = new ApplyQueue(r.writer);
    const failing = q.serial(() => {
      throw new Error('task failed');
    });
    const badThen = q.apply([1], () => [frame('a')], () => {
      throw new Error('then failed');
    });
    const after = q.serial(() => 'still running');
    await expectAsync(failing).toBeRejectedWithError('task failed');
    await expectAsync(badThen).toBeRejectedWithError('then failed');
    await expectAsync(after).toBeResolvedTo('still running');
  });
});

/** Let every promise of the fake writer and the queue settle (they resolve on microtasks only; a macrotask comes after all of them). */
const settled = () => new Promise<void>((ok) => setTimeout(ok, 0));

/** Apply `a`, whose continuation waits for the returned `release`, then `more` behind it. */
function slowFirst(q: ApplyQueue, log: string[]) {
  let release!: () => void;
  const slow = new Promise<void>((ok) => (release = ok));
  const first = q.apply([1], () => [frame('a')], async () => {
    log.push('then a starts');
    await slow;
    log.push('then a ends');
  });
  return { first, release };
}

describe('ApplyQueue: writes overlap continuations (group commit)', () => {
  it('writes the next group while the continuation before it still runs, and runs its continuations after that one', async () => {
    const r = recorder(true);
    const q = new ApplyQueue(r.writer);
    const { first, release } = slowFirst(q, r.log);
    const rest = [apply(q, r.log, frame('b')), apply(q, r.log, frame('c'))];
    await settled();
    // b and c are written (committed) while a's continuation waits; theirs have not run.
    expect(r.log).toEqual(['one a', 'then a starts', 'many b,c']);
    release();
    await Promise.all([first, ...rest]);
    expect(r.log).toEqual(['one a', 'then a starts', 'many b,c', 'then a ends', 'then b ok 1', 'then c ok 1']);
  });

  it('runs a task only after every continuation before it', async () => {
    const r = recorder(true);
    const q = new ApplyQueue(r.writer);
    const { first, release } = slowFirst(q, r.log);
    const task = q.serial(() => r.log.push('task'));
    const after = apply(q, r.log, frame('d'));
    await settled();
    expect(r.log).toEqual(['one a', 'then a starts']);
    release();
    await Promise.all([first, task, after]);
    expect(r.log).toEqual(['one a', 'then a starts', 'then a ends', 'task', 'one d', 'then d ok 1']);
  });

  it('takes what is queued while the last continuation runs', async () => {
    const r = recorder(true);
    const q = new ApplyQueue(r.writer);
    const { first, release } = slowFirst(q, r.log);
    await settled();
    const late = apply(q, r.log, frame('e'));
    await settled();
    expect(r.log).toEqual(['one a', 'then a starts', 'one e']);
    release();
    await Promise.all([first, late]);
    expect(r.log).toEqual(['one a', 'then a starts', 'one e', 'then a ends', 'then e ok 1']);
  });

  it('without group commit writes nothing before the continuation before it has ended', async () => {
    const r = recorder(false);
    const q = new ApplyQueue(r.writer);
    const { first, release } = slowFirst(q, r.log);
    const next = apply(q, r.log, frame('b'));
    await settled();
    expect(r.log).toEqual(['one a', 'then a starts']);
    release();
    await Promise.all([first, next]);
    expect(r.log).toEqual(['one a', 'then a starts', 'then a ends', 'one b', 'then b ok 1']);
  });
});

/** A writer whose every change commits with the next LSN; a change `bad` fails its write. */
function lsnWriter(groups: boolean) {
  const log: string[] = [];
  let lsn = 0;
  const write = (f: FrameRequest): ApplyOutcome => {
    const prevLsn = lsn;
    const committed = f.changes.map((c) => ({ lsn: ++lsn, change_id: c.change_id, client_id: f.clientId, entity: c.entity, entity_id: c.entity_id, op: c.op, data: c.data }));
    return { acks: committed.map((c) => ({ change_id: c.change_id, status: 'applied' as const, lsn: c.lsn })), committed, prevLsn };
  };
  const ids = (f: FrameRequest) => f.changes.map((c) => c.change_id).join(',');
  const writer: FrameWriter = {
    one: async (f) => {
      log.push(`one ${ids(f)}`);
      if (f.changes.some((c) => c.change_id === 'bad')) throw new Error('bad change');
      return write(f);
    },
    many: groups
      ? async (fs) => {
          log.push(`many ${fs.map(ids).join(' | ')}`);
          if (fs.some((f) => f.changes.some((c) => c.change_id === 'bad'))) throw new Error('group failed');
          return fs.map(write);
        }
      : null,
  };
  return { log, writer };
}

const framed = (...ids: string[]): FrameRequest => ({ clientId: 'w', changes: ids.map((id) => ({ change_id: id, entity: 't', entity_id: id, op: 'delete' as const, data: null })), permit: null, sub: null, known: null });
const applyRun = (q: ApplyQueue, log: string[], frames: FrameRequest[]) =>
  q.apply(
    frames.map((f) => f.changes.length),
    () => frames,
    (os) => log.push(`then ${os.map((o) => (o instanceof Error ? 'error' : `${o.prevLsn}:${o.acks.map((a) => `${a.change_id}@${a.status === 'rejected' ? '-' : a.lsn}`).join(',')}`)).join(' ')}`),
  );

describe('ApplyQueue: runs of one sender', () => {
  it('without group commit writes a run as ONE call of its changes, then gives each frame its own outcome', async () => {
    const w = lsnWriter(false);
    const q = new ApplyQueue(w.writer);
    await applyRun(q, w.log, [framed('a1', 'a2'), framed('b1'), framed('c1', 'c2')]);
    expect(w.log).toEqual(['one a1,a2,b1,c1,c2', 'then 0:a1@1,a2@2 2:b1@3 3:c1@4,c2@5']);
  });

  it('writes a merged run whose write fails frame by frame: only the bad frame gets the error', async () => {
    const w = lsnWriter(false);
    const q = new ApplyQueue(w.writer);
    await applyRun(q, w.log, [framed('a1'), framed('bad'), framed('c1')]);
    expect(w.log).toEqual(['one a1,bad,c1', 'one a1', 'one bad', 'one c1', 'then 0:a1@1 error 1:c1@2']);
  });

  it('with group commit passes the frames of the runs in a group to one applyFrames, each run getting its own', async () => {
    const w = lsnWriter(true);
    let release!: () => void;
    const gate = new Promise<void>((ok) => (release = ok));
    const q = new ApplyQueue(w.writer);
    const held = q.serial(() => gate);
    const done = [applyRun(q, w.log, [framed('a1'), framed('a2')]), applyRun(q, w.log, [framed('b1')]), applyRun(q, w.log, [framed('c1', 'c2'), framed('c3')])];
    release();
    await Promise.all([held, ...done]);
    expect(w.log).toEqual(['many a1 | a2 | b1 | c1,c2 | c3', 'then 0:a1@1 1:a2@2', 'then 2:b1@3', 'then 3:c1@4,c2@5 5:c3@6']);
  });

  it('with group commit writes even a lone run of several frames in one transaction', async () => {
    const w = lsnWriter(true);
    await applyRun(new ApplyQueue(w.writer), w.log, [framed('a1'), framed('a2')]);
    expect(w.log).toEqual(['many a1 | a2', 'then 0:a1@1 1:a2@2']);
  });

  it('counts a run as its frames against the group bound', async () => {
    const w = lsnWriter(true);
    let release!: () => void;
    const gate = new Promise<void>((ok) => (release = ok));
    const q = new ApplyQueue(w.writer);
    const held = q.serial(() => gate);
    const big = Array.from({ length: MAX_GROUP_FRAMES - 1 }, (_, i) => framed(`a${i}`));
    const done = [applyRun(q, w.log, big), applyRun(q, w.log, [framed('b1'), framed('b2')])];
    release();
    await Promise.all([held, ...done]);
    expect(w.log.filter((e) => e.startsWith('many')).map((e) => e.split('|').length)).toEqual([MAX_GROUP_FRAMES - 1, 2]);
  });
});
