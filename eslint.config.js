import neostandard from 'neostandard'

export default [
  ...neostandard({ ts: true, ignores: ['dist/**', 'coverage/**', 'drizzle/**', 'node_modules/**', '.data/**'] }),
  {
    // Dependency direction: routes call services, services call repositories, repositories the db.
    // Monitoring has a folder per concern, where files drop the prefix (alerts/routes.ts, alerts/repository.ts).
    files: ['src/modules/*/*.routes.ts', 'src/modules/monitoring/**/routes.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{ group: ['**/*.repository.js', '**/repository.js', '**/db/schema/**'], message: 'Routes call services, never repositories or tables.' }]
      }]
    }
  },
  {
    files: ['src/**/*.ts'],
    rules: { 'no-console': 'error' }
  },
  {
    // The tools (benchmarks, load tests, ...) use the app only through its public module.
    files: ['tools/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{ group: ['**/src/**', '!**/src/public.js'], message: 'Tools import the app through src/public.js only.' }]
      }]
    }
  }
]
