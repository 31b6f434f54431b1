// Fixture for spec/toolchain.node.spec.ts: a spec file webpack cannot build.
import { nothing } from '../../lib/does-not-exist.js';

describe('fixture with a broken import', () => {
  it('would pass if it compiled', () => {
    expect(nothing).toBeUndefined();
  });
});
