/**
 * Dependency rules of src/, checked by `npm run lint:deps` (part of `npm test`).
 * Layers, each importing only the ones below it:
 *   server.ts, cluster.ts, embedded/  →  app.ts  →  modules/  →  plugins/  →  db/  →  lib/
 * and under all of them the shared leaves config.ts (the settings' schema) and errors.ts (the typed
 * errors), which import nothing of src/. No import cycles, type-only ones included. Each folder of
 * lib/ (cache, metrics, rate-limit, ...) is used from outside through its index.ts.
 * A module may use plugins (their decorators, types and errors); a plugin never knows a module.
 */
const layer = (name, path, mayNotImport) => ({
  name,
  severity: 'error',
  comment: `${path} is below ${mayNotImport.join(', ')}: it must not import them`,
  from: { path },
  to: { path: mayNotImport.map((p) => `^src/${p}`) }
})

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'An import cycle: the modules of the cycle can no longer be read, tested or loaded one at a time.',
      from: { path: '^src/' },
      to: { circular: true }
    },
    layer('lib-is-the-bottom', '^src/lib/', ['db/', 'plugins/', 'modules/', 'app\\.ts', 'server\\.ts', 'cluster\\.ts', 'embedded/']),
    layer('db-below-plugins', '^src/db/', ['plugins/', 'modules/', 'app\\.ts', 'server\\.ts', 'cluster\\.ts', 'embedded/']),
    layer('plugins-below-modules', '^src/plugins/', ['modules/', 'app\\.ts', 'server\\.ts', 'cluster\\.ts', 'embedded/']),
    layer('modules-below-app', '^src/modules/', ['app\\.ts', 'server\\.ts', 'cluster\\.ts', 'embedded/']),
    layer('app-below-entry-points', '^src/app\\.ts$', ['server\\.ts', 'cluster\\.ts', 'embedded/']),
    {
      name: 'lib-folders-through-their-index',
      severity: 'error',
      comment: 'Each lib/ folder is used through its index.ts, the list of what it offers (a lazily loaded file may be imported on its own).',
      from: { path: '^src/(?!lib/)' },
      to: { path: '^src/lib/[^/]+/(?!index\\.ts$)[^/]+$', dependencyTypesNot: ['dynamic-import'] }
    },
    {
      name: 'lib-folders-through-their-index-inside-lib',
      severity: 'error',
      comment: 'Another lib/ folder is used through its index.ts too.',
      from: { path: '^src/lib/([^/]+)/' },
      to: { path: '^src/lib/[^/]+/(?!index\\.ts$)[^/]+$', pathNot: '^src/lib/$1/' }
    },
    layer('shared-leaves', '^src/(config|errors)\\.ts$', ['lib/', 'db/', 'plugins/', 'modules/', 'app\\.ts', 'server\\.ts', 'cluster\\.ts', 'embedded/'])
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'], extensions: ['.ts', '.js', '.mjs', '.cjs'] }
  }
}
