// The one CHROME_BIN fallback of `npm test` and `npm run test:faults`: Karma's ChromeHeadless
// needs CHROME_BIN; when it is unset, Debian's chromium is used where it is installed.
import fs from 'node:fs';

/** Candidate browsers, in order (the binary first: the /usr/bin wrapper prints a shell warning). */
export const CHROME_CANDIDATES = ['/usr/lib/chromium/chromium', '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

/** Set process.env.CHROME_BIN to the first installed candidate unless it is set; returns it (or undefined). */
export function ensureChromeBin(env = process.env, exists = fs.existsSync) {
  if (env.CHROME_BIN) return env.CHROME_BIN;
  const found = CHROME_CANDIDATES.find((p) => exists(p));
  if (found) env.CHROME_BIN = found;
  return found;
}
