/**
 * Loads sql.js once per realm (worker or Node process) and shares the module between stores.
 */
import initSqlJs from 'sql.js';
import type { SqlJsStatic } from 'sql.js';
import { StoreError } from '../errors.js';
import { sqlWasmUrl } from './wasm-url.js';

let loading: Promise<SqlJsStatic> | null = null;

/**
 * Load (once) and return the sql.js module. In a browser bundle the wasm URL comes from
 * `wasm-url.browser.ts`; in Node sql.js finds its wasm itself. A failed load is not cached,
 * so a later call tries again.
 */
export function loadSqlJs(): Promise<SqlJsStatic> {
  if (loading) return loading;
  const url = sqlWasmUrl();
  const attempt = initSqlJs(url === undefined ? {} : { locateFile: () => url }).catch((cause: unknown) => {
    // Forget the failure so that the next open can try again.
    loading = null;
    throw new StoreError('could not load sql.js', { cause });
  });
  loading = attempt;
  return attempt;
}
