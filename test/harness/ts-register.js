// A require hook for child processes spawned by tests: compiles src/**/*.ts on the fly with TypeScript's
// transpileModule (no type check; jest's ts-jest already type-checks). Use: node -r ./test/harness/ts-register.js x.ts
'use strict';
const fs = require('node:fs');
const ts = require('typescript');

require.extensions['.ts'] = function compileTypeScript(module, filename) {
  const source = fs.readFileSync(filename, 'utf8');
  const { outputText } = ts.transpileModule(source, {
    fileName: filename,
    compilerOptions: {
      module: ts.ModuleKind.CommonJS,
      target: ts.ScriptTarget.ES2022,
      esModuleInterop: true,
      sourceMap: false,
    },
  });
  module._compile(outputText, filename);
};
