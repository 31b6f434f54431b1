// Fixture for spec/toolchain.node.spec.ts: one spec that fails, one that passes.
describe('fixture with a failing spec', () => {
  it('fails', () => {
    expect(1 + 1).toBe(3);
  });
  it('passes', () => {
    expect(1 + 1).toBe(2);
  });
});
