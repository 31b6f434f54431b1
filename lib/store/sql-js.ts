/**
 * sql.js's init function, from the sql.js package (Node: its CommonJS build, loaded through Node's
 * interop). Browsers get `sql-js.browser.ts` through the package's `browser` field.
 */
import initSqlJs from 'sql.js';

export default initSqlJs;
