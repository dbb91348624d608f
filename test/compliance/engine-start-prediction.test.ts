import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import { EngineStartPredictions, runInputsFingerprint } from '../../lib/compliance/engine-start-prediction';
import { useEnvironment } from '../support/environment';

// The prediction decides only when the validator's engine starts (the tests that a mispredicted
// run is still validated are in validator-engine.test.ts). Here: what goes into the fingerprint,
// and that a remembered fingerprint that cannot be trusted predicts nothing.

const tempDirectory = () => fs.mkdtempSync(path.join(os.tmpdir(), 'plinth-engine-prediction-'));
const FINGERPRINT = 'a'.repeat(64);

describe('runInputsFingerprint', () => {
  useEnvironment({ PLINTH_PREDICTION_TEST: 'one' });

  test('is the same for the same inputs', () => {
    expect(runInputsFingerprint(new App({ context: { env: 'dev' } }))).toBe(runInputsFingerprint(new App({ context: { env: 'dev' } })));
  });

  test('changes with the construct context, an environment variable, the command line, or a loaded module file', () => {
    const base = runInputsFingerprint(new App({ context: { env: 'dev' } }));
    // context
    expect(runInputsFingerprint(new App({ context: { env: 'prod' } }))).not.toBe(base);
    // an environment variable
    process.env.PLINTH_PREDICTION_TEST = 'two';
    expect(runInputsFingerprint(new App({ context: { env: 'dev' } }))).not.toBe(base);
    process.env.PLINTH_PREDICTION_TEST = 'one';
    expect(runInputsFingerprint(new App({ context: { env: 'dev' } }))).toBe(base);
    // the command line
    const argv = process.argv;
    process.argv = [...argv, '--changed'];
    try {
      expect(runInputsFingerprint(new App({ context: { env: 'dev' } }))).not.toBe(base);
    } finally {
      process.argv = argv;
    }
    // a module file loaded by the process, then edited
    const moduleFile = path.join(tempDirectory(), 'loaded.js');
    fs.writeFileSync(moduleFile, 'module.exports = 1;\n');
    require(moduleFile);
    const withModule = runInputsFingerprint(new App({ context: { env: 'dev' } }));
    expect(withModule).not.toBe(base);
    fs.writeFileSync(moduleFile, 'module.exports = 22;\n');
    expect(runInputsFingerprint(new App({ context: { env: 'dev' } }))).not.toBe(withModule);
  });
});

describe('EngineStartPredictions', () => {
  test('predicts an unchanged run only after it was recorded, in the same cache directory', () => {
    const directory = tempDirectory();
    const predictions = new EngineStartPredictions(directory);
    expect(predictions.predictsEveryTemplateCached(FINGERPRINT)).toBe(false);
    predictions.recordEveryTemplateCached(FINGERPRINT);
    expect(new EngineStartPredictions(directory).predictsEveryTemplateCached(FINGERPRINT)).toBe(true);
    expect(new EngineStartPredictions(directory).predictsEveryTemplateCached('b'.repeat(64))).toBe(false);
    expect(new EngineStartPredictions(tempDirectory()).predictsEveryTemplateCached(FINGERPRINT)).toBe(false);
  });

  test('remembers the 32 most recent fingerprints', () => {
    const predictions = new EngineStartPredictions(tempDirectory());
    const fingerprints = Array.from({ length: 33 }, (_, i) => i.toString(16).padStart(64, '0'));
    for (const f of fingerprints) predictions.recordEveryTemplateCached(f);
    expect(predictions.predictsEveryTemplateCached(fingerprints[0])).toBe(false);
    expect(fingerprints.slice(1).every((f) => predictions.predictsEveryTemplateCached(f))).toBe(true);
    // recording a remembered one again moves it to the front instead of adding a copy
    predictions.recordEveryTemplateCached(fingerprints[1]);
    predictions.recordEveryTemplateCached('f'.repeat(64));
    expect(predictions.predictsEveryTemplateCached(fingerprints[1])).toBe(true);
    expect(predictions.predictsEveryTemplateCached(fingerprints[2])).toBe(false);
  });

  test.each([
    ['not JSON', '{"format": "plinth-engine-start-prediction/1", "fingerprints": ['],
    ['another format', JSON.stringify({ format: 'plinth-engine-start-prediction/0', fingerprints: [FINGERPRINT] })],
    ['fingerprints that are not a list', JSON.stringify({ format: 'plinth-engine-start-prediction/1', fingerprints: FINGERPRINT })],
    ['a fingerprint that is not a SHA-256', JSON.stringify({ format: 'plinth-engine-start-prediction/1', fingerprints: [`${FINGERPRINT}0`] })],
    ['null', 'null'],
  ])('a stored file with %s predicts nothing', (_label, content) => {
    const directory = tempDirectory();
    fs.writeFileSync(path.join(directory, 'engine-start-predictions.json'), content);
    const predictions = new EngineStartPredictions(directory);
    expect(predictions.predictsEveryTemplateCached(FINGERPRINT)).toBe(false);
    expect(predictions.predictsEveryTemplateCached(`${FINGERPRINT}0`)).toBe(false);
    // ... and is replaced by the next record
    predictions.recordEveryTemplateCached(FINGERPRINT);
    expect(predictions.predictsEveryTemplateCached(FINGERPRINT)).toBe(true);
  });

  test('a cache directory that cannot be written leaves the prediction empty, without failing', () => {
    const file = path.join(tempDirectory(), 'a-file');
    fs.writeFileSync(file, '');
    // a "directory" below a regular file cannot be created
    const predictions = new EngineStartPredictions(path.join(file, 'cache'));
    expect(() => predictions.recordEveryTemplateCached(FINGERPRINT)).not.toThrow();
    expect(predictions.predictsEveryTemplateCached(FINGERPRINT)).toBe(false);
  });
});
