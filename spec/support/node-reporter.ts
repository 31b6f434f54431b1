/**
 * Jasmine (Node) helper: writes the run's counts to $RSW_RESULTS (JSON) so that scripts/test.mjs
 * can print one summary line for the Node and the browser runs together.
 */
import { writeFileSync } from 'node:fs';

const out = process.env['RSW_RESULTS'];
let passed = 0;
let failed = 0;
let skipped = 0;
jasmine.getEnv().addReporter({
  specDone(result) {
    if (result.status === 'passed') passed++;
    else if (result.status === 'failed') failed++;
    else skipped++;
  },
  jasmineDone(result) {
    // A failure outside any spec (afterAll, load error) counts as a failure too.
    if (result.overallStatus === 'failed' && failed === 0) failed++;
    if (out) writeFileSync(out, JSON.stringify({ passed, failed, skipped }));
  },
});
