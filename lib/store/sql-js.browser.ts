/**
 * sql.js's init function in a browser. In the source tree (Karma, the demo) this re-exports the
 * sql.js package, whose `browser` export condition the bundler picks. In the package,
 * `npm run build` (scripts/build-assets.mjs) replaces dist/lib/store/sql-js.browser.js with
 * sql.js's browser build wrapped as an ES module: a dev server that serves the library's worker
 * unbundled (Vite's, whose dependency pre-bundling skips worker imports) then needs no CommonJS
 * interop, and no bundler needs any for sql.js.
 */
import initSqlJs from 'sql.js';

export default initSqlJs;
