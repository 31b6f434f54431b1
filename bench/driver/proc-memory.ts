/**
 * Private memory of this driver's Chromium renderer processes (Linux /proc). The page and its
 * dedicated workers (the sync worker included) live in the renderer; unlike the JS heap figure,
 * this includes sql.js's wasm memory (the SQLite page cache and its in-memory database file).
 */
import fs from 'node:fs';

function parentOf(pid: number): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 4 (ppid) after the parenthesised command name, which may contain spaces.
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return null;
  }
}

function descendsFrom(pid: number, ancestor: number): boolean {
  for (let p: number | null = pid, hops = 0; p !== null && p > 1 && hops < 10; p = parentOf(p), hops++) {
    if (p === ancestor) return true;
  }
  return false;
}

/** Sum of Private_Clean + Private_Dirty (bytes) of the renderer processes started by this process. */
export function rendererPrivateBytes(): number {
  let total = 0;
  for (const name of fs.readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    try {
      const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (!cmd.includes('--type=renderer') || !descendsFrom(pid, process.pid)) continue;
      const rollup = fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
      for (const m of rollup.matchAll(/^Private_(?:Clean|Dirty):\s+(\d+) kB/gm)) total += Number(m[1]) * 1024;
    } catch {
      // The process ended while we looked: it holds nothing any more.
    }
  }
  return total;
}
