'use strict';
/**
 * `ng add rx-sync-worker` (also `ng generate rx-sync-worker:ng-add`): the README's Angular steps,
 * done for the app.
 *   - src/app/sync.worker.ts: the app's own worker file, `import 'rx-sync-worker/worker-entry';`
 *     (the Angular CLI bundles a worker only from the app's sources, not from a dependency);
 *   - src/app/sync-schema.ts: a starter schema (one `todos` table) to replace with the app's tables;
 *   - `provideSyncClient({ url, schema, worker })` in the root providers (app.config.ts), through
 *     Angular's own `addRootProvider`.
 * Files that exist are left as they are, and a second run adds no second provider. CommonJS: the
 * Angular CLI loads schematics with `require`. `@angular-devkit/schematics` and
 * `@schematics/angular` come from the app's Angular CLI.
 */
const { SchematicsException } = require('@angular-devkit/schematics');
const { addRootProvider, readWorkspace } = require('@schematics/angular/utility');

const WORKER = `// The sync worker of this app: the Angular CLI bundles it from here (rx-sync-worker's README, "Angular").
import 'rx-sync-worker/worker-entry';
`;

const SCHEMA = `// The tables this app keeps in sync (rx-sync-worker's README, "Schema"): the server must be started
// with the same declaration (rx-sync-server --schema schema.json). Replace this starter table with yours.
export const schema = {
  todos: { primaryKey: 'id', columns: { id: 'TEXT', title: 'TEXT', done: 'INTEGER' } },
} as const;
`;

/** Write `text` at `path` unless a file is there already. */
function create(tree, context, path, text) {
  if (tree.exists(path)) {
    context.logger.info(`rx-sync-worker: ${path} exists, left as it is`);
    return;
  }
  tree.create(path, text);
}

/** `text` as a single-quoted TypeScript string. */
function quoted(text) {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'`;
}

/** The ng-add schematic. @param {{ project?: string; url: string }} options */
function ngAdd(options) {
  return async (tree, context) => {
    const workspace = await readWorkspace(tree);
    const name = options.project || [...workspace.projects.keys()][0];
    const project = name === undefined ? undefined : workspace.projects.get(name);
    if (!project) throw new SchematicsException(`rx-sync-worker: no project "${name}" in angular.json`);
    const src = project.sourceRoot ?? `${project.root ? `${project.root}/` : ''}src`;
    const app = `${src}/app`;
    create(tree, context, `${app}/sync.worker.ts`, WORKER);
    create(tree, context, `${app}/sync-schema.ts`, SCHEMA);
    const config = `${app}/app.config.ts`;
    if (tree.exists(config) && tree.readText(config).includes('provideSyncClient(')) {
      context.logger.info(`rx-sync-worker: ${config} already provides a sync client, left as it is`);
      return;
    }
    return addRootProvider(name, ({ code, external }) =>
      code`${external('provideSyncClient', 'rx-sync-worker/angular')}({
      url: ${quoted(options.url)},
      ${external('schema', './sync-schema')},
      worker: () => new Worker(new URL('./sync.worker', import.meta.url), { type: 'module' }),
    })`,
    );
  };
}

exports.ngAdd = ngAdd;
