// A test that cannot run proves nothing: any skipped or todo test fails the whole run,
// including a suite that would skip itself for lack of a service.
class NoSkipReporter {
  onRunComplete(_contexts, results) {
    const skipped = [];
    for (const file of results.testResults) {
      for (const t of file.testResults) {
        if (t.status === 'pending' || t.status === 'skipped' || t.status === 'todo' || t.status === 'disabled') {
          skipped.push(`${file.testFilePath}: ${t.fullName}`);
        }
      }
    }
    this.error = skipped.length ? new Error(`${skipped.length} test(s) skipped:\n${skipped.join('\n')}`) : undefined;
    if (this.error) process.stderr.write(`\n${this.error.message}\n`);
  }
  getLastError() {
    return this.error;
  }
}
module.exports = NoSkipReporter;
