/**
 * Which app schema versions the server serves, and what each one knows. The server runs the
 * newest schema; a client says its version in `hello`. Versions from `minSchemaVersion` up to
 * the newest are served (an older client's inserts keep the columns it does not know, see
 * entities.ts); an older or a newer version is refused with `schema_outdated`.
 */
import type { SchemaDeclaration } from '../lib/protocol/index.js';
import { columnsAt, type SchemaPlan } from '../lib/schema/index.js';
import type { KnownColumns } from './store.js';

/** The versions a server serves. */
export interface SchemaVersions {
  /** The newest version (the schema the server runs). */
  readonly version: number;
  /** The oldest version still served. */
  readonly min: number;
  /** Why `version` is refused, or null when it is served. */
  refusal(version: number): string | null;
  /** The columns a served version knows (null: all of the newest schema). */
  known(version: number): KnownColumns;
}

/** Build the versions table once at start. Throws RangeError for a minimum outside the plan. */
export function schemaVersions(schema: SchemaDeclaration, plan: SchemaPlan, minVersion: number = plan.oldest): SchemaVersions {
  if (!Number.isSafeInteger(minVersion) || minVersion < plan.oldest || minVersion > plan.version) {
    throw new RangeError(`minSchemaVersion must be between ${plan.oldest} (the oldest version the migrations describe) and ${plan.version}, got ${minVersion}`);
  }
  const known = new Map<number, KnownColumns>();
  for (let v = minVersion; v < plan.version; v++) known.set(v, columnsAt(schema, plan, v));
  return {
    version: plan.version,
    min: minVersion,
    refusal: (v) =>
      v > plan.version
        ? `schema version ${v} is newer than the server's ${plan.version}: update the server first`
        : v < minVersion
          ? `schema version ${v} is no longer served (oldest served: ${minVersion}): update the app`
          : null,
    known: (v) => known.get(v) ?? null,
  };
}
