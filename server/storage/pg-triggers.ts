/**
 * Writes made straight into the PostgreSQL tables (psql, the app's own backend) are captured by
 * one trigger per app table (`rsw_capture`, AFTER INSERT/UPDATE/DELETE, per row): it takes the
 * same LSN lock as the server, appends the row to `rsw_change_log` as an `insert` of the whole
 * row (or a `delete`), updates `rsw_row_versions` and NOTIFYs the nodes. The server's own
 * transactions say `SET LOCAL rsw.origin = 'server'`, which the trigger skips (they log
 * themselves). Such changes carry client_id {@link DIRECT_CLIENT_ID} and change_id `db-<lsn>`.
 *
 * Every name is quoted from the parsed schema (and the schema name is a checked identifier).
 */
import { RESERVED_CLIENT_ID_PREFIX, quoteIdent, type ColumnType, type SchemaDeclaration } from '../../lib/protocol/index.js';
import { LSN_LOCK_CLASS } from './pg-types.js';

/** The client_id of changes written straight into the tables (a reserved id: no client may say hello with it). */
export const DIRECT_CLIENT_ID = `${RESERVED_CLIENT_ID_PREFIX}db`;

/** The NOTIFY channel of a schema's commits (payload: the LSN). */
export function notifyChannel(schema: string): string {
  return `rsw_${schema}`;
}

/** A column of NEW / OLD as a JSON value of its wire form. */
function jsonValue(ref: string, type: ColumnType): string {
  switch (type) {
    case 'NUMERIC':
      return ref;
    case 'BLOB':
      return `to_jsonb(translate(encode(${ref}, 'base64'), E'\\n', ''))`;
    default:
      return `to_jsonb(${ref})`;
  }
}

/** The key of NEW / OLD as entity_id text. */
function keyText(ref: string, type: ColumnType): string {
  if (type === 'NUMERIC') return `(CASE jsonb_typeof(${ref}) WHEN 'string' THEN ${ref} #>> '{}' ELSE ${ref}::text END)`;
  return `${ref}::text`;
}

/** `jsonb_build_object` takes at most 100 arguments: build wide rows from pieces of 40 columns. */
function rowJson(rec: string, specs: Record<string, { type: ColumnType }>): string {
  const pairs = Object.entries(specs).map(([c, s]) => `'${c}', ${jsonValue(`${rec}.${quoteIdent(c)}`, s.type)}`);
  const parts: string[] = [];
  for (let i = 0; i < pairs.length; i += 40) parts.push(`jsonb_build_object(${pairs.slice(i, i + 40).join(', ')})`);
  return `(${parts.join(' || ')})::text`;
}

/** The DDL of the capture triggers of every table of `schema`, in the PostgreSQL schema `pgSchema`. */
export function captureDdl(pgSchema: string, schema: SchemaDeclaration): string[] {
  const s = quoteIdent(pgSchema);
  const out: string[] = [];
  for (const [table, def] of Object.entries(schema)) {
    const keyType = def.columns[def.primaryKey]!;
    const pk = quoteIdent(def.primaryKey);
    const fn = `${s}.${quoteIdent(`rsw_capture_${table}`)}`;
    const log = (op: 'insert' | 'delete', key: string, data: string) => `
      lsn := lsn + 1;
      INSERT INTO ${s}.rsw_change_log (lsn, change_id, client_id, entity, entity_id, op, data, created_at, sub)
        VALUES (lsn, 'db-' || lsn, '${DIRECT_CLIENT_ID}', '${table}', ${key}, '${op}', ${data}, (extract(epoch FROM clock_timestamp()) * 1000)::bigint, NULL);
      INSERT INTO ${s}.rsw_row_versions (entity, entity_id, lsn, change_id, client_id, op) VALUES ('${table}', ${key}, lsn, 'db-' || lsn, '${DIRECT_CLIENT_ID}', '${op}')
        ON CONFLICT (entity, entity_id) DO UPDATE SET lsn = EXCLUDED.lsn, change_id = EXCLUDED.change_id, client_id = EXCLUDED.client_id, op = EXCLUDED.op;`;
    out.push(`CREATE OR REPLACE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS $rsw$
      DECLARE lsn bigint;
      BEGIN
        IF current_setting('rsw.origin', true) = 'server' THEN RETURN NULL; END IF;
        PERFORM pg_advisory_xact_lock(${LSN_LOCK_CLASS}, hashtext('${pgSchema}'));
        SELECT coalesce(max(l.lsn), 0) INTO lsn FROM ${s}.rsw_change_log l;
        IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND OLD.${pk} IS DISTINCT FROM NEW.${pk}) THEN
          ${log('delete', keyText(`OLD.${pk}`, keyType), 'NULL')}
        END IF;
        IF TG_OP <> 'DELETE' THEN
          ${log('insert', keyText(`NEW.${pk}`, keyType), rowJson('NEW', def.specs))}
        END IF;
        PERFORM pg_notify('${notifyChannel(pgSchema)}', lsn::text);
        RETURN NULL;
      END $rsw$`);
    out.push(`DROP TRIGGER IF EXISTS rsw_capture ON ${s}.${quoteIdent(table)}`);
    // The WHEN skips the server's own writes without calling the function at all (per row, the call is most of the cost).
    out.push(`CREATE TRIGGER rsw_capture AFTER INSERT OR UPDATE OR DELETE ON ${s}.${quoteIdent(table)} FOR EACH ROW
      WHEN (current_setting('rsw.origin', true) IS DISTINCT FROM 'server') EXECUTE FUNCTION ${fn}()`);
  }
  return out;
}
