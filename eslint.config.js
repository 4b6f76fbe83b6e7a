// ESLint (flat config): typescript-eslint's recommended rules over src/, test/, bench/ and scripts/;
// formatting is Prettier's (eslint-config-prettier turns off the rules that would fight it).
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.keyless/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    files: ['**/*.ts'],
    rules: {
      // Unused names are mistakes, except a leading underscore (deliberately ignored parameters).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // Route tables hold handlers of many body types (`ArmRoute<any>[]`): allowed there, nowhere by accident.
      '@typescript-eslint/no-explicit-any': 'warn',
      eqeqeq: ['error', 'smart'],
      'no-console': ['error', { allow: ['error', 'warn'] }],
      'prefer-const': ['error', { destructuring: 'all' }],
      // Input checks reject control characters on purpose (names, tags, headers): those regexes name them.
      'no-control-regex': 'off',
    },
  },
  {
    // Command-line entry points, benchmarks and test helpers print to the console on purpose.
    files: ['src/cli/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts', 'test/**/*.ts', 'src/agent/**/*.ts'],
    rules: { 'no-console': 'off' },
  },
);
