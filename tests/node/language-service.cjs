// Loads the real Cucumber language service (the engine of VS Code's Cucumber
// extension) over the project's glue and features, as an editor would, and
// prints what it found as JSON for tests/integration/editor.rs to judge.
//
//   node tests/node/language-service.cjs <service-dir> <glue.rs> <feature>...
//
// Prints {errors, definitions: [{expression, line}], features: [{path,
// undefined: [{line, text}], links: [{line, text, targets: [line]}]}]}.
// Lines are 1-based, as editors show them.
'use strict';
const fs = require('fs');
const path = require('path');

const [serviceDir, gluePath, ...features] = process.argv.slice(2);
if (!serviceDir || !gluePath) {
  console.error('usage: language-service.cjs <service-dir> <glue.rs> <feature>...');
  process.exit(2);
}
const modules = path.join(path.resolve(serviceDir), 'node_modules');
const ls = require(path.join(modules, '@cucumber/language-service'));
const { WasmParserAdapter } = require(path.join(modules, '@cucumber/language-service/dist/cjs/src/tree-sitter-wasm/WasmParserAdapter.js'));

// The step keywords a feature line may start with, English and Danish.
const KEYWORDS = /^\s*(Given|When|Then|And|But|\*|Givet|Når|Så|Og|Men) /;

(async () => {
  const adapter = new WasmParserAdapter(path.join(modules, '@cucumber/language-service/dist'));
  await adapter.init();
  const glueUri = 'file://' + path.resolve(gluePath);
  const built = new ls.ExpressionBuilder(adapter).build(
    [{ languageName: 'rust', uri: glueUri, content: fs.readFileSync(gluePath, 'utf8') }],
    [],
  );
  const links = built.expressionLinks;
  const out = {
    errors: built.errors.map(String),
    definitions: links.map((l) => ({
      expression: l.expression.source,
      uri: l.locationLink.targetUri,
      line: l.locationLink.targetSelectionRange.start.line + 1,
    })),
    features: [],
  };
  const expressions = links.map((l) => l.expression);
  for (const file of features) {
    const source = fs.readFileSync(file, 'utf8');
    const undefinedSteps = ls
      .getGherkinDiagnostics(source, expressions)
      .map((d) => ({ line: d.range.start.line + 1, message: d.message }));
    const stepLinks = [];
    source.split('\n').forEach((text, i) => {
      const m = KEYWORDS.exec(text);
      if (!m || text.includes('<')) return;
      const position = { line: i, character: m[0].length + 1 };
      const targets = ls.getStepDefinitionLocationLinks(source, position, links);
      stepLinks.push({
        line: i + 1,
        text: text.trim(),
        targets: targets.map((t) => ({ uri: t.targetUri, line: t.targetSelectionRange.start.line + 1 })),
      });
    });
    out.features.push({ path: file, undefined: undefinedSteps, links: stepLinks });
  }
  process.stdout.write(JSON.stringify(out));
})().catch((e) => {
  console.error(e && e.stack ? e.stack : String(e));
  process.exit(1);
});
