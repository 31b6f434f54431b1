/**
 * App schema versions and their migrations, declared as data (they cross the worker boundary and
 * the server reads the same list):
 *
 * ```ts
 * schemaVersion: 3,
 * migrations: [
 *   { version: 2, steps: [{ op: 'addColumn', table: 'todos', column: 'priority', backfill: 0 },
 *                         { op: 'addIndex', index: 'todos_by_priority' }] },
 *   { version: 3, steps: [{ op: 'addTable', table: 'tags' }, { op: 'dropColumn', table: 'todos', column: 'legacy' },
 *                         { op: 'changeType', table: 'todos', column: 'rank' }] },
 * ]
 * ```
 * Every step takes the definition it needs from the schema (the newest one): `addColumn` adds
 * the column as declared, `changeType` / `copyTable` copy the table into its declared shape.
 * A step whose target the schema no longer declares (a column added, then dropped later) does
 * nothing; the later step covers it.
 */
import * as t from 'io-ts';
import { isLeft } from '../protocol/either.js';
import { SchemaError } from '../errors.js';
import { Identifier, declarationPath, strict, strictPartial, type SchemaDeclaration, type Value } from '../protocol/index.js';
import { toWireValue } from './values.js';

const Table = Identifier;
const STEP_CODECS = {
  addTable: strict({ op: t.literal('addTable'), table: Table }, 'AddTable'),
  addColumn: strictPartial({ op: t.literal('addColumn'), table: Table, column: Identifier }, { backfill: t.unknown }, 'AddColumn'),
  dropColumn: strict({ op: t.literal('dropColumn'), table: Table, column: Identifier }, 'DropColumn'),
  addIndex: strict({ op: t.literal('addIndex'), index: Identifier }, 'AddIndex'),
  dropIndex: strict({ op: t.literal('dropIndex'), index: Identifier }, 'DropIndex'),
  changeType: strict({ op: t.literal('changeType'), table: Table, column: Identifier }, 'ChangeType'),
  copyTable: strict({ op: t.literal('copyTable'), table: Table }, 'CopyTable'),
} as const;
type StepCodec = (typeof STEP_CODECS)[keyof typeof STEP_CODECS];
export type MigrationStep = t.TypeOf<StepCodec>;

/** One step of a migration, chosen by its `op` (so an error names the step's own field). */
export const MigrationStep = new t.Type<MigrationStep, MigrationStep, unknown>(
  'MigrationStep',
  (u): u is MigrationStep => Object.values(STEP_CODECS).some((c) => c.is(u)),
  (u, c) => {
    const op = typeof u === 'object' && u !== null ? (u as { op?: unknown }).op : undefined;
    if (typeof op !== 'string' || !Object.prototype.hasOwnProperty.call(STEP_CODECS, op)) {
      return t.failure(op, t.appendContext(c, 'op', t.never), `unknown step op ${JSON.stringify(op ?? null)?.slice(0, 40)} (one of ${Object.keys(STEP_CODECS).join(', ')})`);
    }
    return (STEP_CODECS[op as keyof typeof STEP_CODECS] as t.Mixed).validate(u, c) as t.Validation<MigrationStep>;
  },
  t.identity,
);

/** One migration: the version it produces and its steps, in order. */
export const MigrationInput = strictPartial({ version: t.number, steps: t.array(MigrationStep) }, { description: t.string }, 'Migration');
export type MigrationInput = t.TypeOf<typeof MigrationInput>;
export const MigrationList = t.array(MigrationInput, 'Migrations');

/** A step with its backfill in wire form. */
export type PlannedStep = Exclude<MigrationStep, { op: 'addColumn' }> | { op: 'addColumn'; table: string; column: string; backfill?: Value };

/** A checked version plan. */
export interface SchemaPlan {
  /** The version of the declared schema. */
  readonly version: number;
  /** Migrations, oldest first, versions consecutive and ending at `version` (may be empty). */
  readonly migrations: readonly { version: number; steps: readonly PlannedStep[] }[];
  /** Oldest version a database (or a client) can be brought from. */
  readonly oldest: number;
}

/**
 * Check `schemaVersion` and `migrations` against the (parsed) schema. Throws SchemaError with a
 * path such as `migrations.0.steps.1.column`.
 */
export function parseSchemaPlan(schema: SchemaDeclaration, version: unknown = 1, migrations: unknown = []): SchemaPlan {
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 1) {
    throw new SchemaError(`schemaVersion must be a positive integer, got ${String(version).slice(0, 40)}`, { path: 'schemaVersion' });
  }
  const decoded = MigrationList.decode(migrations);
  if (isLeft(decoded)) {
    const e = decoded.left.reduce((a, b) => (b.context.length > a.context.length ? b : a));
    const inner = declarationPath(e.context);
    const path = inner === '' ? 'migrations' : `migrations.${inner}`;
    throw new SchemaError(`invalid migration at "${path}": ${e.message ?? `expected ${e.context[e.context.length - 1]?.type.name ?? 'a migration'}`}`, { path });
  }
  const list = decoded.right;
  const first = list[0]?.version ?? version + 1;
  const planned = list.map((m, i) => {
    const at = `migrations.${i}`;
    if (m.version !== first + i || m.version < 2) throw new SchemaError(`migration ${m.version} out of order (versions run 2, 3, ... without gaps)`, { path: `${at}.version` });
    return { version: m.version, steps: m.steps.map((s, j) => planStep(schema, list, i, s, `${at}.steps.${j}`)) };
  });
  if (planned.length > 0 && planned[planned.length - 1]!.version !== version) {
    throw new SchemaError(`the last migration produces version ${planned[planned.length - 1]!.version}, but schemaVersion is ${version}`, { path: 'schemaVersion' });
  }
  return { version, migrations: planned, oldest: planned.length > 0 ? first - 1 : version };
}

function planStep(schema: SchemaDeclaration, list: readonly MigrationInput[], at: number, s: MigrationStep, path: string): PlannedStep {
  const table = 'table' in s ? s.table : null;
  if (table !== null && !Object.prototype.hasOwnProperty.call(schema, table)) {
    throw new SchemaError(`migration step names table "${table}", which the schema does not declare`, { path: `${path}.table` });
  }
  const def = table === null ? null : schema[table]!;
  const laterDrop = (column: string) =>
    list.slice(at + 1).some((m) => m.steps.some((x) => x.op === 'dropColumn' && x.table === table && x.column === column));
  switch (s.op) {
    case 'addColumn': {
      const spec = def!.specs[s.column];
      if (!spec) {
        if (!laterDrop(s.column)) throw new SchemaError(`"${table}.${s.column}" is added but not declared (nor dropped later)`, { path: `${path}.column` });
        return { op: 'addColumn', table: s.table, column: s.column };
      }
      const backfill = s.backfill === undefined ? undefined : toWireValue(spec.type, s.backfill, `${path}.backfill`);
      if (spec.notNull && spec.default === undefined && (backfill === undefined || backfill === null)) {
        throw new SchemaError(`"${table}.${s.column}" is NOT NULL without a default: its migration needs a backfill`, { path: `${path}.backfill` });
      }
      return backfill === undefined ? { op: 'addColumn', table: s.table, column: s.column } : { op: 'addColumn', table: s.table, column: s.column, backfill };
    }
    case 'changeType':
      if (!def!.specs[s.column]) throw new SchemaError(`"${table}.${s.column}" is not declared`, { path: `${path}.column` });
      return s;
    default:
      return s;
  }
}

/** Where a declared index lives: its table, or null. */
export function indexTable(schema: SchemaDeclaration, index: string): string | null {
  for (const [table, def] of Object.entries(schema)) if (Object.prototype.hasOwnProperty.call(def.indexes, index)) return table;
  return null;
}

/**
 * The column names each table has at `version` (walking the migrations back from the newest
 * schema), or null for a version the plan cannot describe (older than `oldest`, or newer).
 */
export function columnsAt(schema: SchemaDeclaration, plan: SchemaPlan, version: number): Map<string, Set<string>> | null {
  if (version > plan.version || version < plan.oldest) return null;
  const tables = new Map(Object.entries(schema).map(([name, def]) => [name, new Set(Object.keys(def.columns))]));
  for (let i = plan.migrations.length - 1; i >= 0 && plan.migrations[i]!.version > version; i--) {
    const steps = plan.migrations[i]!.steps;
    for (let j = steps.length - 1; j >= 0; j--) {
      const s = steps[j]!;
      if (s.op === 'addTable') tables.delete(s.table);
      else if (s.op === 'addColumn') tables.get(s.table)?.delete(s.column);
      else if (s.op === 'dropColumn') tables.get(s.table)?.add(s.column);
    }
  }
  return tables;
}
