import neostandard from 'neostandard'

export default [
  ...neostandard({ ts: true, ignores: ['dist/**', 'coverage/**', 'drizzle/**', 'node_modules/**', '.data/**'] }),
  {
    // Dependency direction: routes call services, services call repositories, repositories the db.
    files: ['src/modules/*/*.routes.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{ group: ['**/*.repository.js', '**/db/schema/**'], message: 'Routes call services, never repositories or tables.' }]
      }]
    }
  },
  {
    files: ['src/**/*.ts'],
    rules: { 'no-console': 'error' }
  }
]
