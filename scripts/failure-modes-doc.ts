// Writes docs/failure-modes.md from the failure-mode catalogue.
import * as fs from 'fs';
import * as path from 'path';
import { renderFailureModesMarkdown } from '../lib/monitoring/failure-modes-doc';

const target = path.join(__dirname, '..', 'docs', 'failure-modes.md');
fs.writeFileSync(target, renderFailureModesMarkdown());
process.stdout.write(`wrote ${path.relative(process.cwd(), target)}\n`);
