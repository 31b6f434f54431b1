/**
 * The two-case result the decoders return. Structurally the same as fp-ts's `Either` (which io-ts
 * produces), defined here so that the library imports no fp-ts path: fp-ts 2.16 has no `exports`
 * map, its `lib/` build is CommonJS (breaks named imports in Vite's dev pre-bundling) and its `es6/`
 * build does not load in Node. io-ts itself picks the right fp-ts build for each tool.
 */
export interface Left<E> {
  readonly _tag: 'Left';
  readonly left: E;
}
export interface Right<A> {
  readonly _tag: 'Right';
  readonly right: A;
}
export type Either<E, A> = Left<E> | Right<A>;

export const left = <E, A = never>(e: E): Either<E, A> => ({ _tag: 'Left', left: e });
export const right = <A, E = never>(a: A): Either<E, A> => ({ _tag: 'Right', right: a });
export const isLeft = <E, A>(ma: Either<E, A>): ma is Left<E> => ma._tag === 'Left';
export const isRight = <E, A>(ma: Either<E, A>): ma is Right<A> => ma._tag === 'Right';
