// One lint setup for every workspace (flat config). Type-checking is `npm run typecheck`'s job; the
// type-aware rules here catch promises nobody waits for, which the compiler accepts.
import tseslint from 'typescript-eslint';
import jest from 'eslint-plugin-jest';
import reactHooks from 'eslint-plugin-react-hooks';

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      '**/.next/**',
      '**/coverage/**',
      '**/.data/**',
      'artifacts/**',
      '**/next-env.d.ts',
    ],
  },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
  {
    // Every TypeScript file, tests and scripts included, is typed by its workspace's tsconfig.json. The few
    // outside any tsconfig (jest global setups, the benchmark) get the default project. Imports of
    // @ticketing/common are typed from its dist/, which `npm run lint` builds first.
    files: ['**/*.ts', '**/*.tsx'],
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['*/jest.global-setup.ts'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
    },
  },
  {
    // Deliberately untyped: drizzle-kit configs and the CommonJS/ESM config files are plain objects handed
    // to a tool (no promises), and no tsconfig includes them.
    files: ['**/drizzle.config.ts', '**/*.js', '**/*.mjs', '**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    files: ['client/**/*.ts', 'client/**/*.tsx'],
    ...reactHooks.configs.flat.recommended,
  },
  {
    files: ['**/__tests__/**/*.ts', '**/*.test.ts', '**/e2e/**/*.ts'],
    ...jest.configs['flat/recommended'],
    rules: {
      ...jest.configs['flat/recommended'].rules,
      'jest/no-focused-tests': 'error',
      'jest/no-disabled-tests': 'error',
      'jest/expect-expect': [
        'error',
        { assertFunctionNames: ['expect', 'request.**.expect', '**.expect', 'expect*', 'assert*'] },
      ],
      'jest/no-conditional-expect': 'off',
    },
  },
);
