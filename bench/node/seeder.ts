/**
 * Makes changes on the server from Node (for catch_up and the memory metric): one bench client
 * writing frames of 1000 inserts, at most 4 frames awaiting their ack.
 */
import type { ServerHandle } from './server-handle.js';
import { WsBenchClient, clientFrames, sendWindowed } from './ws-client.js';

/** A connected writer. */
export class Seeder {
  private framesSent = 0;
  private calls = 0;

  private constructor(private readonly server: ServerHandle, private readonly client: WsBenchClient) {}

  /** Connect a writer to `server`. */
  static async connect(server: ServerHandle): Promise<Seeder> {
    return new Seeder(server, await WsBenchClient.connect(server.url, 'bench-seeder'));
  }

  /** Make `n` inserts (rounded up to whole frames of 1000); resolves to the server's LSN after. */
  async seed(n: number): Promise<number> {
    const size = Math.min(1000, n);
    const frames = clientFrames(1000 + this.calls, `seed${this.calls}`, Math.ceil(n / size), size);
    this.calls++;
    await sendWindowed(this.client, frames, 4, this.framesSent);
    this.framesSent += frames.length;
    return this.server.lsn();
  }

  /** Close the writer's socket. */
  close(): void {
    this.client.close();
  }
}
