// Renders a cucumber.json with the two report tools CI servers use most:
// cucumber-html-reporter (bootstrap theme) and multiple-cucumber-html-reporter.
// Either one throwing, or writing no page, exits 1.
//
//   node tests/node/render-json-html.cjs TOOLS_DIR cucumber.json OUT_DIR
// writes OUT_DIR/cucumber-html-reporter.html and OUT_DIR/multiple/index.html
// (with a page per feature under OUT_DIR/multiple/features/).
const path = require('path');
const fs = require('fs');
const [toolsArg, jsonArg, outArg] = process.argv.slice(2);
if (!toolsArg || !jsonArg || !outArg) {
  console.error('usage: render-json-html.cjs TOOLS_DIR cucumber.json OUT_DIR');
  process.exit(2);
}
const [tools, json, out] = [toolsArg, jsonArg, outArg].map((p) => path.resolve(p));
const need = (m) => require(path.join(tools, 'node_modules', m));
fs.mkdirSync(out, { recursive: true });

const single = path.join(out, 'cucumber-html-reporter.html');
need('cucumber-html-reporter').generate({
  theme: 'bootstrap',
  jsonFile: json,
  output: single,
  reportSuiteAsScenarios: true,
  launchReport: false,
  noInlineScreenshots: false,
  metadata: { Project: 'mitid-e2e' },
});
if (!fs.existsSync(single)) {
  console.error(`cucumber-html-reporter wrote no ${single}`);
  process.exit(1);
}
console.log(`wrote ${single}`);

// It reads every .json file of a folder: give it one holding only ours.
const jsonDir = path.join(out, 'multiple-json');
fs.mkdirSync(jsonDir, { recursive: true });
fs.copyFileSync(json, path.join(jsonDir, 'cucumber.json'));
const multiple = path.join(out, 'multiple');
need('multiple-cucumber-html-reporter').generate({
  jsonDir,
  reportPath: multiple,
  openReportInBrowser: false,
  disableLog: true,
  displayDuration: true,
  durationInMS: false,
  pageTitle: 'mitid-e2e',
  reportName: 'mitid-e2e',
});
if (!fs.existsSync(path.join(multiple, 'index.html'))) {
  console.error(`multiple-cucumber-html-reporter wrote no ${multiple}/index.html`);
  process.exit(1);
}
console.log(`wrote ${multiple}/index.html`);
