// Checks every line of a messages.ndjson against the Envelope schema that
// @cucumber/messages ships (messages.schema.json, JSON Schema 2020-12),
// and that the ids it refers to were sent before: exit 0 and a count, or
// exit 1 and each invalid line.
//
//   node tests/node/validate-messages.cjs TOOLS_DIR messages.ndjson
const path = require('path');
const fs = require('fs');
const [toolsArg, file] = process.argv.slice(2);
const tools = toolsArg && path.resolve(toolsArg);
if (!tools || !file) {
  console.error('usage: validate-messages.cjs TOOLS_DIR messages.ndjson');
  process.exit(2);
}
const need = (m) => require(path.join(tools, 'node_modules', m));
const Ajv2020 = need('ajv/dist/2020').default;
const addFormats = need('ajv-formats').default;
const schema = need('@cucumber/messages/messages.schema.json');
const ajv = new Ajv2020({ allErrors: true, strict: false });
addFormats(ajv);
const validate = ajv.compile(schema);

const lines = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.length > 0);
let bad = 0;
const seen = { pickle: new Set(), testCase: new Set(), testCaseStarted: new Set(), testStep: new Set(), stepDefinition: new Set(), hook: new Set() };
const fail = (n, what) => {
  bad++;
  console.error(`line ${n + 1}: ${what}`);
};
const counts = {};
lines.forEach((line, n) => {
  let envelope;
  try {
    envelope = JSON.parse(line);
  } catch (e) {
    return fail(n, `not JSON: ${e.message}`);
  }
  if (!validate(envelope)) {
    return fail(n, ajv.errorsText(validate.errors, { separator: '; ' }));
  }
  const kind = Object.keys(envelope)[0];
  if (Object.keys(envelope).length !== 1) return fail(n, 'an envelope holds exactly one message');
  counts[kind] = (counts[kind] || 0) + 1;
  const m = envelope[kind];
  const known = (set, id, what) => seen[set].has(id) || fail(n, `${kind} refers to ${what} ${id}, not sent before`);
  switch (kind) {
    case 'pickle': seen.pickle.add(m.id); break;
    case 'stepDefinition': seen.stepDefinition.add(m.id); break;
    case 'hook': seen.hook.add(m.id); break;
    case 'testCase':
      known('pickle', m.pickleId, 'pickle');
      seen.testCase.add(m.id);
      for (const s of m.testSteps) {
        seen.testStep.add(s.id);
        for (const d of s.stepDefinitionIds || []) known('stepDefinition', d, 'step definition');
        if (s.hookId) known('hook', s.hookId, 'hook');
      }
      break;
    case 'testCaseStarted': known('testCase', m.testCaseId, 'test case'); seen.testCaseStarted.add(m.id); break;
    case 'testStepStarted':
    case 'testStepFinished':
    case 'attachment':
      known('testCaseStarted', m.testCaseStartedId, 'test case started');
      known('testStep', m.testStepId, 'test step');
      break;
    case 'testCaseFinished': known('testCaseStarted', m.testCaseStartedId, 'test case started'); break;
  }
});
const first = lines.length ? Object.keys(JSON.parse(lines[0]))[0] : 'nothing';
if (first !== 'meta') fail(0, `the first envelope is ${first}, not meta`);
const last = lines.length ? Object.keys(JSON.parse(lines[lines.length - 1]))[0] : 'nothing';
if (last !== 'testRunFinished') fail(lines.length - 1, `the last envelope is ${last}, not testRunFinished`);
if (bad) {
  console.error(`${bad} of ${lines.length} envelopes are invalid`);
  process.exit(1);
}
console.log(`${lines.length} envelopes valid: ${JSON.stringify(counts)}`);
