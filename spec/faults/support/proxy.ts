/**
 * A TCP proxy on 127.0.0.1 (port 0) between clients and the sync server that injects network
 * faults: cut every connection, cut in the middle of a chunk (so mid-frame), delay every chunk,
 * stall one direction (bytes held, not lost, as TCP does), and retarget (the server restarted
 * on another port). `heal()` ends delays and stalls. Test infrastructure, Node only.
 */
import net from 'node:net';
import type { AddressInfo } from 'node:net';

/** Which way bytes flow: `up` client -> server, `down` server -> client. */
export type Direction = 'up' | 'down';

/** What the proxy did (faults counted only when they hit a live connection). */
export interface ProxyStats {
  connections: number;
  cuts: number;
  midFrameCuts: number;
  /** Server changes made unapplicable in flight (a TEXT value turned into a number). */
  poisoned: number;
  delays: number;
  stalls: number;
}

interface Held {
  chunk: Buffer;
  due: number;
}

/** One direction of one connection: an ordered queue with a delay and a stall switch. */
class Pipe {
  private readonly queue: Held[] = [];
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly to: net.Socket,
    private readonly proxy: FaultProxy,
    readonly direction: Direction,
    private readonly cut: () => void,
  ) {}

  push(chunk: Buffer): void {
    this.queue.push({ chunk, due: performance.now() + this.proxy.delayMs });
    this.pump();
  }

  /** Forward what is due, in order; a stalled direction holds everything. */
  pump(): void {
    if (this.timer !== null || this.proxy.isStalled(this.direction)) return;
    while (this.queue.length > 0) {
      const head = this.queue[0]!;
      const wait = head.due - performance.now();
      if (wait > 0) {
        this.timer = setTimeout(() => {
          this.timer = null;
          this.pump();
        }, wait);
        return;
      }
      this.queue.shift();
      if (this.proxy.takeMidFrameCut(this.direction, head.chunk.length)) {
        // Half of this chunk, then the line goes dead: the peer sees a torn frame.
        this.to.write(head.chunk.subarray(0, Math.max(1, head.chunk.length >> 1)), () => this.cut());
        return;
      }
      if (!this.to.destroyed) this.to.write(this.proxy.maybePoison(this.direction, head.chunk));
    }
  }

  stop(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.queue.length = 0;
  }
}

interface Pair {
  client: net.Socket;
  server: net.Socket;
  pipes: Pipe[];
}

/** The proxy. Start with {@link FaultProxy.start}. */
export class FaultProxy {
  /** Delay added to every chunk, in ms (0 = none). */
  delayMs = 0;
  readonly stats: ProxyStats = { connections: 0, cuts: 0, midFrameCuts: 0, delays: 0, stalls: 0, poisoned: 0 };
  private poisonArmed = false;
  private readonly pairs = new Set<Pair>();
  private readonly stalled = new Set<Direction>();
  private midFrame: Direction | null = null;

  private constructor(
    private readonly listener: net.Server,
    private targetPort: number,
  ) {
    listener.on('connection', (client) => this.accept(client));
  }

  /** Listen on 127.0.0.1, port 0, forwarding to `targetPort`. */
  static async start(targetPort: number): Promise<FaultProxy> {
    const listener = net.createServer();
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    return new FaultProxy(listener, targetPort);
  }

  /** The port clients dial. */
  get port(): number {
    return (this.listener.address() as AddressInfo).port;
  }

  /** `ws://127.0.0.1:<port>/sync`. */
  get url(): string {
    return `ws://127.0.0.1:${this.port}/sync`;
  }

  /** Live connections right now. */
  get open(): number {
    return this.pairs.size;
  }

  /** Forward new connections to another port (the server restarted there). */
  retarget(port: number): void {
    this.targetPort = port;
  }

  /** Destroy every live connection at once (both sides see a reset). Returns how many. */
  cutAll(): number {
    const n = this.pairs.size;
    for (const p of [...this.pairs]) this.drop(p);
    this.stats.cuts += n;
    return n;
  }

  /** The next chunk going `direction` (on any connection) is cut in half and the connection dropped. */
  armMidFrameCut(direction: Direction): void {
    this.midFrame = direction;
  }

  /**
   * Poison the next `server_changes` frame going down (on any connection) whose chunk holds a
   * whole inserted row (`"data":{"id":"..."`): its key becomes `null` padded with spaces to the
   * same length (valid JSON, the frame still decodes, but the change can never apply: the client
   * must quarantine it and fetch the row again). Stays armed until it fires or {@link heal}.
   */
  armPoison(): void {
    this.poisonArmed = true;
  }

  /** @internal The chunk, poisoned if a poison is armed and it fits. */
  maybePoison(direction: Direction, chunk: Buffer): Buffer {
    if (!this.poisonArmed || direction !== 'down') return chunk;
    const text = chunk.toString('latin1');
    const frame = text.indexOf('{"type":"server_changes"');
    if (frame < 0) return chunk;
    const m = /"data":\{"id":("[0-9a-z.-]{2,40}")/.exec(text.slice(frame));
    if (!m) return chunk;
    this.poisonArmed = false;
    this.stats.poisoned++;
    const at = frame + m.index + '"data":{"id":'.length;
    const out = Buffer.from(chunk);
    out.write('null'.padEnd(m[1]!.length, ' '), at, 'latin1');
    return out;
  }

  /** Add `ms` to every chunk from now on (in order). */
  delay(ms: number): void {
    this.delayMs = ms;
    if (ms > 0) this.stats.delays++;
  }

  /** Hold every chunk going `direction` until {@link heal} (the other way keeps flowing). */
  stall(direction: Direction): void {
    this.stalled.add(direction);
    this.stats.stalls++;
  }

  /** End delays and stalls (held bytes flow on, in order) and disarm a mid-frame cut. */
  heal(): void {
    this.delayMs = 0;
    this.midFrame = null;
    this.poisonArmed = false;
    this.stalled.clear();
    for (const p of this.pairs) for (const pipe of p.pipes) pipe.pump();
  }

  /** Stop listening and drop everything. */
  async close(): Promise<void> {
    for (const p of [...this.pairs]) this.drop(p);
    await new Promise<void>((resolve) => this.listener.close(() => resolve()));
  }

  /** @internal */
  isStalled(direction: Direction): boolean {
    return this.stalled.has(direction);
  }

  /** @internal Consume an armed mid-frame cut for a chunk of `size` bytes going `direction`. */
  takeMidFrameCut(direction: Direction, size: number): boolean {
    if (this.midFrame !== direction || size < 2) return false;
    this.midFrame = null;
    this.stats.midFrameCuts++;
    return true;
  }

  private accept(client: net.Socket): void {
    const server = net.connect(this.targetPort, '127.0.0.1');
    const pair: Pair = { client, server, pipes: [] };
    const cut = () => this.drop(pair);
    const up = new Pipe(server, this, 'up', cut);
    const down = new Pipe(client, this, 'down', cut);
    pair.pipes.push(up, down);
    this.pairs.add(pair);
    this.stats.connections++;
    client.setNoDelay(true);
    server.setNoDelay(true);
    client.on('data', (d: Buffer) => up.push(d));
    server.on('data', (d: Buffer) => down.push(d));
    // Either side ending (or failing: the server is down) ends the pair, like a broken path.
    for (const s of [client, server]) {
      s.on('error', cut);
      s.on('close', cut);
    }
  }

  private drop(pair: Pair): void {
    if (!this.pairs.delete(pair)) return;
    for (const pipe of pair.pipes) pipe.stop();
    pair.client.destroy();
    pair.server.destroy();
  }
}
