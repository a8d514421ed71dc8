// Prints vitest's JSON report as the one line CI reads: "N passed, N failed[, N skipped]".
// A second argument counts checks that failed outside vitest (the linter).
// Exits non-zero when a test failed, when none ran, or when the report is missing.
import { readFileSync } from 'node:fs';

let report;
try {
  report = JSON.parse(readFileSync(process.argv[2], 'utf8'));
} catch (error) {
  console.log(`ci: no test report (${error.message})`);
  console.log('0 passed, 1 failed');
  process.exit(1);
}
// A file can fail outside any test (an import error, a failing beforeAll): its tests then show as
// skipped or not at all, so such a file counts as one failure of its own.
const failedFiles = report.testResults.filter(
  (file) => file.status === 'failed' && !file.assertionResults.some((a) => a.status === 'failed'),
).length;
const outside = Number(process.argv[3] ?? 0);
const failed = report.numFailedTests + failedFiles + outside;
const skipped = report.numPendingTests + (report.numTodoTests ?? 0);
console.log(`${report.numPassedTests} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exitCode = failed > 0 || report.numPassedTests === 0 ? 1 : 0;
