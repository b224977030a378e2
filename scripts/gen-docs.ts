import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderReadme } from './docs.js';

const path = join(import.meta.dirname, '..', 'README.md');
const before = readFileSync(path, 'utf8');
const after = await renderReadme(before);
writeFileSync(path, after);
process.stderr.write(before === after ? 'README.md already up to date\n' : 'README.md regenerated\n');
