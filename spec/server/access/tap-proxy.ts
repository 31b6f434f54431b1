/**
 * A TCP proxy on 127.0.0.1 in front of the sync server that records every WebSocket frame the
 * server sends through it (server frames are not masked: the proxy parses them from the bytes,
 * so it sees exactly what the client received, pages, broadcasts and patches alike), and can cut
 * every connection (a network cut). Test infrastructure, Node only.
 */
import net from 'node:net';
import type { AddressInfo } from 'node:net';

/** A proxy to `target` (host:port); `frames` holds every server text frame, in order, parsed. */
export class TapProxy {
  readonly frames: unknown[] = [];
  private readonly sockets = new Set<net.Socket>();
  private readonly server: net.Server;

  private constructor(private readonly target: { host: string; port: number }) {
    this.server = net.createServer((client) => this.pipe(client));
  }

  /** Listen on a free port. */
  static async start(targetUrl: string): Promise<TapProxy> {
    const u = new URL(targetUrl);
    const p = new TapProxy({ host: u.hostname, port: Number(u.port) });
    await new Promise<void>((resolve) => p.server.listen(0, '127.0.0.1', resolve));
    return p;
  }

  /** `ws://127.0.0.1:<proxy port>/sync`. */
  get url(): string {
    return `ws://127.0.0.1:${(this.server.address() as AddressInfo).port}/sync`;
  }

  /** Cut every connection through the proxy now (both sides see a reset). */
  cut(): void {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  /** Cut everything and stop listening. */
  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private pipe(client: net.Socket): void {
    const upstream = net.connect(this.target.port, this.target.host);
    this.sockets.add(client);
    this.sockets.add(upstream);
    const parser = new FrameParser((text) => this.frames.push(JSON.parse(text)));
    client.on('data', (d) => upstream.write(d));
    upstream.on('data', (d) => {
      parser.push(d);
      client.write(d);
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    client.on('close', end);
    upstream.on('close', end);
    client.on('error', end);
    upstream.on('error', end);
  }
}

/** Parses the server side of a WebSocket connection: the HTTP response head, then unmasked frames. */
class FrameParser {
  private buf = Buffer.alloc(0);
  private headDone = false;
  private parts: Buffer[] = [];

  constructor(private readonly onText: (text: string) => void) {}

  push(chunk: Buffer): void {
    this.buf = Buffer.concat([this.buf, chunk]);
    if (!this.headDone) {
      const end = this.buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      this.buf = this.buf.subarray(end + 4);
      this.headDone = true;
    }
    for (;;) {
      if (this.buf.length < 2) return;
      const fin = (this.buf[0]! & 0x80) !== 0;
      const opcode = this.buf[0]! & 0x0f;
      let len = this.buf[1]! & 0x7f;
      let at = 2;
      if (len === 126) {
        if (this.buf.length < 4) return;
        len = this.buf.readUInt16BE(2);
        at = 4;
      } else if (len === 127) {
        if (this.buf.length < 10) return;
        len = Number(this.buf.readBigUInt64BE(2));
        at = 10;
      }
      if (this.buf.length < at + len) return;
      const payload = this.buf.subarray(at, at + len);
      this.buf = this.buf.subarray(at + len);
      if (opcode === 1 || opcode === 0) {
        this.parts.push(payload);
        if (fin) {
          this.onText(Buffer.concat(this.parts).toString('utf8'));
          this.parts = [];
        }
      }
    }
  }
}
