// ESLint flat config: typescript-eslint's recommended rules over lib/, server/, spec/, bench/, demo/.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'demo/dist/', 'coverage/', '.karma-out-*/', 'bench/results/', 'bench/dist/', 'examples/*/dist/', 'examples/*/.angular/', 'examples/*/node_modules/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.browser, ...globals.node, ...globals.jasmine } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  // The ng-add schematic is CommonJS (the Angular CLI loads schematics with require).
  { files: ['lib/angular/schematics/**/*.cjs'], languageOptions: { sourceType: 'commonjs' }, rules: { '@typescript-eslint/no-require-imports': 'off' } },
);
