// Renders a messages.ndjson into Cucumber's own HTML report with
// @cucumber/html-formatter (its CucumberHtmlStream, as cucumber-js's html
// formatter uses it).
//
//   node tests/node/render-messages-html.mjs TOOLS_DIR messages.ndjson out.html
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { pathToFileURL } from 'node:url';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';

const [tools, input, output] = process.argv.slice(2);
if (!tools || !input || !output) {
  console.error('usage: render-messages-html.mjs TOOLS_DIR messages.ndjson out.html');
  process.exit(2);
}
const entry = path.resolve(tools, 'node_modules/@cucumber/html-formatter/dist/src/index.js');
const { CucumberHtmlStream } = await import(pathToFileURL(entry).href);

async function* envelopes() {
  const lines = readline.createInterface({ input: fs.createReadStream(input), crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.trim()) yield JSON.parse(line);
  }
}
await pipeline(Readable.from(envelopes()), new CucumberHtmlStream(), fs.createWriteStream(output));
console.log(`wrote ${output}`);
