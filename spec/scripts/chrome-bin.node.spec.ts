/**
 * Issue 14, point 8: `npm run test:faults` failed at once when CHROME_BIN was unset (Karma found
 * no browser) while `npm test` fell back to Debian's chromium. Both runners now take the one
 * fallback of scripts/chrome-bin.mjs.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

const run = (code: string) => execFileSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8' }).trim();

describe('scripts/chrome-bin.mjs (CHROME_BIN fallback)', () => {
  it('picks the first installed candidate when CHROME_BIN is unset, and keeps a set one', () => {
    const pick = run(`import { ensureChromeBin } from './scripts/chrome-bin.mjs';
      const env = {}; ensureChromeBin(env, (p) => p === '/usr/bin/chromium'); console.log(env.CHROME_BIN);`);
    expect(pick).toBe('/usr/bin/chromium');
    const kept = run(`import { ensureChromeBin } from './scripts/chrome-bin.mjs';
      const env = { CHROME_BIN: '/opt/mine' }; ensureChromeBin(env, () => true); console.log(env.CHROME_BIN);`);
    expect(kept).toBe('/opt/mine');
    const none = run(`import { ensureChromeBin } from './scripts/chrome-bin.mjs'; console.log(String(ensureChromeBin({}, () => false)));`);
    expect(none).toBe('undefined');
  });

  it('both runners (npm test, npm run test:faults) use it', () => {
    for (const script of ['scripts/test.mjs', 'scripts/faults.mjs']) {
      const text = fs.readFileSync(script, 'utf8');
      expect(text).withContext(script).toContain("import { ensureChromeBin } from './chrome-bin.mjs';");
      expect(text).withContext(script).toMatch(/ensureChromeBin\(\);/);
    }
  });
});
