/** App schema evolution and typed values: conversions, query decoding, declarative migrations. */
export * from './values.js';
export * from './rows.js';
export * from './column-types.js';
export * from './migrations.js';
export * from './ddl-sql.js';
export * from './migrate.js';
