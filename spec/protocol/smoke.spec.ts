import { isRight } from 'fp-ts/lib/Either.js';
import { decodeServerFrame } from '../../lib/protocol/index.js';
describe('smoke', () => {
  it('decodes', () => { expect(isRight(decodeServerFrame('{"type":"ping"}'))).toBeTrue(); });
});
