/**
 * The gate in front of every WebSocket upgrade: connection caps (global and per IP address) and
 * the Origin check. A refused upgrade gets a plain HTTP answer (503 over a cap, 403 for an origin)
 * before any WebSocket exists, so it costs the server almost nothing.
 *
 * Origin rule: a request without an `Origin` header (not a browser) passes. With `allowedOrigins`
 * set, a browser origin must be in it (`'*'` allows any). Without it: a server with auth allows
 * any origin (the token is the check); an OPEN server allows only its own origin, and loopback
 * pages (http://localhost:*, http://127.0.0.1:*) when it listens on loopback itself, so that a
 * random web page cannot use an open server through its visitor's browser.
 */
import type { IncomingMessage } from 'node:http';

/** How the gate decides. */
export interface GateOptions {
  maxConnections: number;
  maxConnectionsPerIp: number;
  /** Exact origins (`https://app.example.com`) or `'*'`; undefined = the default rule above. */
  allowedOrigins: readonly string[] | undefined;
  /** Whether tokens are required. */
  authRequired: boolean;
  /** The interface the server listens on. */
  host: string;
}

/** Refused: the HTTP status and a one-line reason. */
export interface Refusal {
  status: number;
  message: string;
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/** Counts open sockets and checks upgrades. */
export class UpgradeGate {
  private total = 0;
  private readonly perIp = new Map<string, number>();

  constructor(private readonly opts: GateOptions) {}

  /** Null when the upgrade may go on, else why not. */
  check(req: IncomingMessage): Refusal | null {
    const ip = req.socket.remoteAddress ?? '?';
    if (this.total >= this.opts.maxConnections) return { status: 503, message: `too many connections (maxConnections ${this.opts.maxConnections}): try again later` };
    if ((this.perIp.get(ip) ?? 0) >= this.opts.maxConnectionsPerIp) {
      return { status: 503, message: `too many connections from ${ip} (maxConnectionsPerIp ${this.opts.maxConnectionsPerIp}): try again later` };
    }
    const origin = req.headers.origin;
    if (origin !== undefined && !this.originAllowed(origin, req.headers.host)) {
      return { status: 403, message: `origin ${origin.slice(0, 200)} is not allowed (allowedOrigins)` };
    }
    return null;
  }

  /** A socket of `ip` opened; returns the function to call when it closes. */
  opened(ip: string): () => void {
    this.total++;
    this.perIp.set(ip, (this.perIp.get(ip) ?? 0) + 1);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.total--;
      const n = (this.perIp.get(ip) ?? 1) - 1;
      if (n === 0) this.perIp.delete(ip);
      else this.perIp.set(ip, n);
    };
  }

  private originAllowed(origin: string, host: string | undefined): boolean {
    const { allowedOrigins, authRequired } = this.opts;
    if (allowedOrigins !== undefined) return allowedOrigins.includes('*') || allowedOrigins.includes(origin);
    if (authRequired) return true;
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      return false;
    }
    if (host !== undefined && url.host === host) return true; // same origin
    return LOOPBACK_HOSTS.has(url.hostname) && LOOPBACK_HOSTS.has(this.opts.host);
  }
}
