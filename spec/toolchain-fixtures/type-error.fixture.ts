// Fixture for spec/toolchain.node.spec.ts: a TypeScript type error.
export const count: number = 'not a number';
