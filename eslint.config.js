import neostandard from 'neostandard'

export default [
  ...neostandard({ ts: true, ignores: ['dist/**', 'coverage/**', 'drizzle/**', 'node_modules/**', '.data/**'] }),
  {
    // Dependency direction (STYLE.md rule 2): routes → service → repository → db.
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
  }
]
