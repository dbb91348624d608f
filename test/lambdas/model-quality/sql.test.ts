/**
 * The quality query RUN in DuckDB (the same text as in Athena but for the named shims) on
 * fixtures whose answers are worked out by hand in the comments.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { DIALECTS, renderQualityQuery } from '../../../lambdas/model-quality/sql';
import type { QualityQuery } from '../../../lambdas/model-quality/sql';
import { evaluate } from '../../../lambdas/model-quality/evaluate';
import type { ResultRow } from '../../../lambdas/model-quality/evaluate';
import { qualityDatabase, runQualityQuery } from '../../../scripts/local/quality-duckdb';
import type { CapturedPrediction, GroundTruthRow, ReviewLabel } from '../../../scripts/local/quality-duckdb';

const START = new Date('2030-01-10T00:00:00Z');
const END = new Date('2030-01-11T00:00:00Z');
const UNTIL = new Date('2030-01-12T00:00:00Z');

/** How the evidence tests below evaluate a binary classifier's rows (the window and run time of the fixtures). */
const EVALUATION: Parameters<typeof evaluate>[1] = {
  endpointName: 'e',
  modelName: 'm',
  variants: ['primary', 'challenger'],
  problemType: 'binary_classification',
  primaryMetric: 'auc',
  threshold: 0.5,
  minSamples: 2,
  tolerance: 0.05,
  baseline: { value: 0.9, source: 'configured-floor' },
  coverageFloor: 0.05,
  labelDelayHours: 24,
  window: { start: START.toISOString(), end: END.toISOString() },
  labelsUntil: UNTIL.toISOString(),
  runAt: UNTIL.toISOString(),
};
const out = (score: number | string | null): string => JSON.stringify({ label: 'x', confidence: 0.9, ...(score === null ? {} : { score }) });

const captured: CapturedPrediction[] = [
  { variant: 'primary', inferenceId: 'p1', inferenceTime: '2030-01-10T01:00:00Z', output: out(0.9) },
  { variant: 'primary', inferenceId: 'p2', inferenceTime: '2030-01-10T02:00:00.250Z', output: out(0.8) },
  { variant: 'primary', inferenceId: 'p3', inferenceTime: '2030-01-10T03:00:00Z', output: out(0.3) },
  { variant: 'primary', inferenceId: 'p4', inferenceTime: '2030-01-10T04:00:00Z', output: out(0.1) },
  // unlabelled
  { variant: 'primary', inferenceId: 'p5', inferenceTime: '2030-01-10T05:00:00Z', output: out(0.7) },
  // no score in the output: counted as traffic, never labelled
  { variant: 'primary', inferenceId: 'p6', inferenceTime: '2030-01-10T06:00:00Z', output: out(null) },
  // one second before the window: excluded
  { variant: 'primary', inferenceId: 'p7', inferenceTime: '2030-01-09T23:59:59Z', output: out(0.9) },
  // label observed after the run: late, not seen
  { variant: 'primary', inferenceId: 'p8', inferenceTime: '2030-01-10T07:00:00Z', output: out(0.2) },
  // base64-encoded output, labelled by a reviewer
  { variant: 'primary', inferenceId: 'p9', inferenceTime: '2030-01-10T08:00:00Z', output: Buffer.from(out(0.6)).toString('base64'), base64: true },
  // relabelled: the later label (fraud) wins
  { variant: 'primary', inferenceId: 'p10', inferenceTime: '2030-01-10T09:00:00Z', output: out(0.55) },
  // exactly at the end of the window: excluded (end is exclusive)
  { variant: 'primary', inferenceId: 'p11', inferenceTime: '2030-01-11T00:00:00Z', output: out(0.9) },
  { variant: 'challenger', inferenceId: 'c1', inferenceTime: '2030-01-10T10:00:00Z', output: out(0.95) },
  { variant: 'challenger', inferenceId: 'c2', inferenceTime: '2030-01-10T11:00:00Z', output: out(0.05) },
  // a shadow variant is not what users were served: excluded by the variant list
  { variant: 'shadow', inferenceId: 's1', inferenceTime: '2030-01-10T12:00:00Z', output: out(0.5) },
  // no inference id (captured before the gateway set one): traffic, never labelled
  { variant: 'challenger', inferenceId: null, inferenceTime: '2030-01-10T13:00:00Z', output: out(0.5) },
];
const truth: GroundTruthRow[] = [
  { inference_id: 'p1', label: 'fraud', observed_at: '2030-01-10T02:00:00Z', outcome_value: 100 },
  { inference_id: 'p2', label: 'legitimate', observed_at: '2030-01-10T04:00:00.250Z', outcome_value: -5 },
  { inference_id: 'p3', label: 'fraud', observed_at: '2030-01-10T09:00:00Z', outcome_value: -200 },
  { inference_id: 'p4', label: 'legitimate', observed_at: '2030-01-10T12:00:00Z' },
  { inference_id: 'p6', label: 'fraud', observed_at: '2030-01-10T12:00:00Z' },
  { inference_id: 'p7', label: 'fraud', observed_at: '2030-01-10T12:00:00Z' },
  { inference_id: 'p8', label: 'fraud', observed_at: '2030-01-12T00:00:01Z' },
  { inference_id: 'p10', label: 'legitimate', observed_at: '2030-01-10T10:00:00Z' },
  { inference_id: 'p10', label: 'fraud', observed_at: '2030-01-10T11:00:00Z' },
  { inference_id: 'c1', label: 'fraud', observed_at: '2030-01-10T10:30:00Z' },
  { inference_id: 'c2', label: 'legitimate', observed_at: '2030-01-10T11:30:00Z' },
  { inference_id: 's1', label: 'fraud', observed_at: '2030-01-10T13:00:00Z' },
];
const reviews: ReviewLabel[] = [
  { inferenceId: 'p9', label: 'fraud', labelledAt: '2030-01-10T08:30:00Z' },
  { inferenceId: null, label: 'fraud', labelledAt: '2030-01-10T08:30:00Z' },
];

const QUERY = {
  variants: ['primary', 'challenger'],
  windowStart: START,
  windowEnd: END,
  labelsUntil: UNTIL,
  problemType: 'binary_classification' as const,
  scorePath: '$.score',
  positiveLabel: 'fraud',
  threshold: 0.5,
  bins: 1000,
};

function byKind(rows: ResultRow[], kind: string): ResultRow[] {
  return rows.filter((r) => r.kind === kind);
}

/**
 * Runs the quality query once for the enclosing describe block (beforeAll), on a database of its
 * own holding these rows, and closes it after (afterAll); the returned function gives the rows.
 */
function queriedOnce(predictions: CapturedPrediction[], labels: GroundTruthRow[], reviewLabels: ReviewLabel[], query: Parameters<typeof runQualityQuery>[1] = QUERY): () => ResultRow[] {
  let connection: DuckDBConnection | undefined;
  let rows: ResultRow[] = [];
  beforeAll(async () => {
    connection = await qualityDatabase(predictions, labels, reviewLabels);
    rows = await runQualityQuery(connection, query);
  });
  afterAll(() => connection?.closeSync());
  return () => rows;
}

describe('quality query on DuckDB', () => {
  const rows = queriedOnce(captured, truth, reviews);

  it('counts traffic and labels per variant inside the window only', () => {
    // primary in window: p1..p6, p8, p9, p10 = 9 predictions; labelled: p1 p2 p3 p4 p9 p10 = 6
    // (p6 has no score, p8's label is late, p5 has none). challenger: c1, c2, the id-less one = 3, labelled 2.
    const traffic = Object.fromEntries(byKind(rows(), 'traffic').map((r) => [r.variant, r]));
    expect(Object.keys(traffic).sort()).toEqual(['challenger', 'primary']);
    expect([Number(traffic.primary!.n), Number(traffic.primary!.sum1)]).toEqual([9, 6]);
    expect([Number(traffic.challenger!.n), Number(traffic.challenger!.sum1)]).toEqual([3, 2]);
    // outcome: p1 100 + p2 −5 + p3 −200 = −105 (p4 and reviewer labels have none)
    expect(Number(traffic.primary!.sum2)).toBe(-105);
    // label delays (s) primary: p1 3600, p2 7200, p3 21600, p4 28800, p9 1800, p10 7200 → median 7200
    expect(Number(traffic.primary!.sum3)).toBe(7200);
  });

  it('bins scores, applies the threshold on the exact score and takes the latest label', () => {
    // primary labelled: (.9,1) (.8,0) (.3,1) (.1,0) (.6,1 reviewer) (.55,1 relabelled)
    const cells = byKind(rows(), 'class')
      .filter((r) => r.variant === 'primary')
      .map((r) => [Number(r.bin), Number(r.predicted), Number(r.actual), Number(r.n)])
      .sort((a, b) => a[0]! - b[0]!);
    expect(cells).toEqual([
      [100, 0, 0, 1],
      [300, 0, 1, 1],
      [550, 1, 1, 1],
      [600, 1, 1, 1],
      [800, 1, 0, 1],
      [900, 1, 1, 1],
    ]);
  });

  it('reports the labels seen until the run and the latest one', () => {
    // 12 dataset rows + 1 reviewer label with an id; p8's label (after the run) is not seen → 12
    const [labels] = byKind(rows(), 'labels');
    expect(Number(labels!.n)).toBe(12);
    expect(labels!.last_label_at).toBe('2030-01-10T13:00:00.000Z');
  });

  it('evaluates the rows into the evidence with hand-checked numbers', () => {
    const evidence = evaluate(rows(), {
      endpointName: 'fraud-detector-dev',
      modelName: 'fraud-detector',
      variants: ['primary', 'challenger'],
      problemType: 'binary_classification',
      primaryMetric: 'auc',
      threshold: 0.5,
      minSamples: 2,
      tolerance: 0.05,
      baseline: { value: 0.9, source: 'configured-floor' },
      coverageFloor: 0.5,
      labelDelayHours: 48,
      outcome: { name: 'money saved', unit: 'EUR' },
      window: { start: START.toISOString(), end: END.toISOString() },
      labelsUntil: UNTIL.toISOString(),
      runAt: UNTIL.toISOString(),
    });
    const primary = evidence.variants.find((v) => v.variant === 'primary')!;
    // positives .9 .3 .6 .55, negatives .8 .1: wins .9:2, .3:1, .6:1, .55:1 = 5 of 8
    expect(primary.primary.value).toBeCloseTo(5 / 8, 12);
    expect(primary.classification!.confusion).toEqual({ tp: 3, fp: 1, tn: 1, fn: 1 });
    expect(primary.coverage.value).toBeCloseTo(6 / 9, 12);
    expect(primary.outcome!.per1000).toBeCloseTo((-105 / 9) * 1000, 9);
    // 0.625 < 0.9 − 0.05 with 6 ≥ 2 samples: decayed
    expect(evidence.decay).toEqual([{ variant: 'primary', metric: 'auc', value: 0.625, baseline: 0.9, tolerance: 0.05 }]);
    // coverage 8/12 ≥ 0.5 and the last label is 11 h before the run (< 48 h): not stale
    expect(evidence.staleness).toMatchObject({ stale: false, reasons: [] });
  });

  it('a regression model: MAE/RMSE moments from the same join', async () => {
    const reg = await qualityDatabase(
      [
        { variant: 'primary', inferenceId: 'r1', inferenceTime: '2030-01-10T01:00:00Z', output: JSON.stringify({ prediction: 10 }) },
        { variant: 'primary', inferenceId: 'r2', inferenceTime: '2030-01-10T02:00:00Z', output: JSON.stringify({ prediction: 4 }) },
        { variant: 'primary', inferenceId: 'r3', inferenceTime: '2030-01-10T03:00:00Z', output: JSON.stringify({ prediction: 7 }) },
      ],
      [
        { inference_id: 'r1', label: '12', observed_at: '2030-01-10T05:00:00Z' },
        { inference_id: 'r2', label: '1', observed_at: '2030-01-10T05:00:00Z' },
        { inference_id: 'r3', label: 'not a number', observed_at: '2030-01-10T05:00:00Z' },
      ],
      [],
    );
    const r = await runQualityQuery(reg, { ...QUERY, variants: ['primary'], problemType: 'regression', scorePath: '$.prediction', withReviews: false });
    reg.closeSync();
    // errors −2 and 3: Σ|e| 5, Σe² 13, Σe⁴ 97; r3's label is not numeric and is left out
    const [row] = byKind(r, 'reg');
    expect([Number(row!.n), Number(row!.sum1), Number(row!.sum2), Number(row!.sum3)]).toEqual([2, 5, 13, 97]);
    // ... and not counted as labelled either: coverage and LabelledSamples are 2 of 3, as the samples
    const [traffic] = byKind(r, 'traffic');
    expect([Number(traffic!.n), Number(traffic!.sum1)]).toEqual([3, 2]);
  });

  it('all labels late: nothing labelled, and the evidence says the ground truth is stale', async () => {
    const late = await qualityDatabase(captured.slice(0, 4), truth.slice(0, 4).map((t) => ({ ...t, observed_at: '2030-02-01T00:00:00Z' })), []);
    const r = await runQualityQuery(late, { ...QUERY, withReviews: false });
    late.closeSync();
    const evidence = evaluate(r, EVALUATION);
    expect(evidence.variants.map((v) => [v.variant, v.predictions, v.labelled])).toEqual([
      ['primary', 4, 0],
      ['challenger', 0, 0],
    ]);
    expect(evidence.staleness.stale).toBe(true);
    expect(evidence.staleness.reasons.join(' ')).toContain('no ground truth has ever been observed');
    expect(evidence.decay).toEqual([]);
    expect(evidence.variants[1]!.notes).toContain('no predictions in the window (zero traffic)');
  });

  describe('a caller that retried under its own inference id', () => {
    // GIVEN r1 captured three times (primary, primary, then challenger answered the last attempt),
    // r2 captured twice by primary, both labelled once; two id-less rows
    const retried: CapturedPrediction[] = [
      { variant: 'primary', inferenceId: 'r1', inferenceTime: '2030-01-10T01:00:00Z', output: out(0.9) },
      { variant: 'primary', inferenceId: 'r1', inferenceTime: '2030-01-10T01:00:01Z', output: out(0.9) },
      { variant: 'challenger', inferenceId: 'r1', inferenceTime: '2030-01-10T01:00:02Z', output: out(0.2) },
      { variant: 'primary', inferenceId: 'r2', inferenceTime: '2030-01-10T02:00:00Z', output: out(0.3) },
      { variant: 'primary', inferenceId: 'r2', inferenceTime: '2030-01-10T02:00:00.500Z', output: out(0.4) },
      { variant: 'primary', inferenceId: null, inferenceTime: '2030-01-10T03:00:00Z', output: out(0.5) },
      { variant: 'primary', inferenceId: null, inferenceTime: '2030-01-10T03:00:00Z', output: out(0.5) },
    ];
    const labels: GroundTruthRow[] = [
      { inference_id: 'r1', label: 'fraud', observed_at: '2030-01-10T05:00:00Z' },
      { inference_id: 'r2', label: 'legitimate', observed_at: '2030-01-10T05:00:00Z' },
    ];
    const result = queriedOnce(retried, labels, []);

    it('counts each label once, against the attempt the caller got last', () => {
      // THEN primary: r2 (latest attempt, score .4) + the two id-less rows = 3 predictions, 1 labelled;
      // challenger: r1 (its last attempt) = 1 prediction, 1 labelled
      const traffic = Object.fromEntries(byKind(result(), 'traffic').map((r) => [r.variant, [Number(r.n), Number(r.sum1)]]));
      expect(traffic).toEqual({ primary: [3, 1], challenger: [1, 1] });
      const cells = byKind(result(), 'class').map((r) => [r.variant, Number(r.bin), Number(r.actual), Number(r.n)]);
      expect(cells.sort()).toEqual([
        ['challenger', 200, 1, 1],
        ['primary', 400, 0, 1],
      ]);
    });
  });

  describe('labels that disagree at the same observed_at', () => {
    // GIVEN d1 labelled fraud and legitimate on the same day (date-only observed_at, which ingest
    // accepts), d2 labelled fraud twice at the same time (a duplicate, not a conflict), d3 labelled
    // both ways at 05:00 but settled as fraud at 06:00, d4 labelled once by the lake and once by a
    // reviewer at the same instant, differently. Which label is right for d1 and d4 is unknown:
    // picking one by its spelling ('legitimate' > 'fraud') is a coin toss that reads as data.
    const preds: CapturedPrediction[] = ['d1', 'd2', 'd3', 'd4'].map((id, i) => ({ variant: 'primary', inferenceId: id, inferenceTime: `2030-01-10T0${i + 1}:00:00Z`, output: out(0.8) }));
    const labels: GroundTruthRow[] = [
      { inference_id: 'd1', label: 'fraud', observed_at: '2030-01-11', outcome_value: 100 },
      { inference_id: 'd1', label: 'legitimate', observed_at: '2030-01-11', outcome_value: -5 },
      { inference_id: 'd2', label: 'fraud', observed_at: '2030-01-10T09:00:00Z' },
      { inference_id: 'd2', label: 'fraud', observed_at: '2030-01-10T09:00:00Z' },
      { inference_id: 'd3', label: 'legitimate', observed_at: '2030-01-10T05:00:00Z' },
      { inference_id: 'd3', label: 'fraud', observed_at: '2030-01-10T05:00:00Z' },
      { inference_id: 'd3', label: 'fraud', observed_at: '2030-01-10T06:00:00Z' },
      { inference_id: 'd4', label: 'legitimate', observed_at: '2030-01-10T07:00:00Z' },
    ];
    const reviewLabels: ReviewLabel[] = [{ inferenceId: 'd4', label: 'fraud', labelledAt: '2030-01-10T07:00:00.000Z' }];
    const result = queriedOnce(preds, labels, reviewLabels);

    it('are not used, and are counted per variant', () => {
      // THEN 4 predictions; d2 and d3 labelled (both fraud, score .8 → bin 800, predicted 1);
      // d1 and d4 conflicting: unlabelled, their outcome values not summed
      const [traffic] = byKind(result(), 'traffic');
      expect([Number(traffic!.n), Number(traffic!.sum1), Number(traffic!.sum2)]).toEqual([4, 2, 0]);
      expect(byKind(result(), 'class').map((r) => [Number(r.bin), Number(r.predicted), Number(r.actual), Number(r.n)])).toEqual([[800, 1, 1, 2]]);
      expect(byKind(result(), 'conflicting').map((r) => [r.variant, Number(r.n)])).toEqual([['primary', 2]]);
    });

    it('the evidence says so', () => {
      const evidence = evaluate(result(), { ...EVALUATION, variants: ['primary'] });
      const primary = evidence.variants[0]!;
      expect([primary.labelled, primary.conflictingLabels]).toEqual([2, 2]);
      expect(primary.notes).toContain('2 predictions have labels that disagree at the same observed_at (latest observation): they are not evaluated');
    });
  });

  describe('a score that is not a probability', () => {
    // GIVEN a model that answers in percent (57, 12), a negative logit, NaN and a string, all
    // labelled, next to two proper probabilities. Clamped into [0, 1], 57 read as a confident 1.0
    // and −2.3 as 0.0: numbers that look like a model, computed from a misconfigured one.
    const odd: CapturedPrediction[] = [
      { variant: 'primary', inferenceId: 'o1', inferenceTime: '2030-01-10T01:00:00Z', output: out(57) },
      { variant: 'primary', inferenceId: 'o2', inferenceTime: '2030-01-10T01:00:00Z', output: out(12) },
      { variant: 'primary', inferenceId: 'o3', inferenceTime: '2030-01-10T01:00:00Z', output: out(-2.3) },
      { variant: 'primary', inferenceId: 'o4', inferenceTime: '2030-01-10T01:00:00Z', output: JSON.stringify({ score: 'NaN' }) },
      { variant: 'primary', inferenceId: 'o5', inferenceTime: '2030-01-10T01:00:00Z', output: out('high') },
      { variant: 'primary', inferenceId: 'o6', inferenceTime: '2030-01-10T01:00:00Z', output: out(1) },
      { variant: 'primary', inferenceId: 'o7', inferenceTime: '2030-01-10T01:00:00Z', output: out(0) },
    ];
    const labels: GroundTruthRow[] = ['o1', 'o2', 'o3', 'o4', 'o5', 'o6', 'o7'].map((id, i) => ({ inference_id: id, label: i % 2 === 0 ? 'fraud' : 'legitimate', observed_at: '2030-01-10T05:00:00Z' }));
    const result = queriedOnce(odd, labels, [], { ...QUERY, withReviews: false });

    it('is traffic, never labelled, and counted as unscored', () => {
      // THEN 7 predictions, 2 labelled (o6 at 1.0 legitimate, o7 at 0.0 fraud: the ends of [0, 1] are probabilities);
      // o1..o5 are unscored: 57, 12 and −2.3 are outside [0, 1], NaN and 'high' are not numbers
      const [traffic] = byKind(result(), 'traffic');
      expect([Number(traffic!.n), Number(traffic!.sum1)]).toEqual([7, 2]);
      expect(byKind(result(), 'class').map((r) => [Number(r.bin), Number(r.actual), Number(r.n)]).sort()).toEqual([
        [0, 1, 1],
        [999, 0, 1],
      ]);
      expect(byKind(result(), 'unscored').map((r) => [r.variant, Number(r.n)])).toEqual([['primary', 5]]);
    });

    it('the evidence says how many answers had no usable score, and where it looked', () => {
      const evidence = evaluate(result(), EVALUATION);
      const primary = evidence.variants[0]!;
      expect([primary.predictions, primary.labelled, primary.unscored]).toEqual([7, 2, 5]);
      expect(primary.notes).toContain('5 of 7 predictions have no usable score (missing, not a number, or outside [0, 1]): they are not evaluated');
      expect(evidence.variants[1]!.unscored).toBe(0);
    });

    it('a regression model: NaN and infinite predictions are unscored, not a NaN that fails the run', async () => {
      const reg = await qualityDatabase(
        [
          { variant: 'primary', inferenceId: 'n1', inferenceTime: '2030-01-10T01:00:00Z', output: JSON.stringify({ prediction: 'NaN' }) },
          { variant: 'primary', inferenceId: 'n2', inferenceTime: '2030-01-10T01:00:00Z', output: JSON.stringify({ prediction: 'Infinity' }) },
          { variant: 'primary', inferenceId: 'n3', inferenceTime: '2030-01-10T01:00:00Z', output: JSON.stringify({ prediction: 250 }) },
        ],
        ['n1', 'n2', 'n3'].map((id) => ({ inference_id: id, label: '200', observed_at: '2030-01-10T05:00:00Z' })),
        [],
      );
      const r = await runQualityQuery(reg, { ...QUERY, variants: ['primary'], problemType: 'regression', scorePath: '$.prediction', withReviews: false });
      reg.closeSync();
      // THEN only n3 is evaluated: e = 50 → Σ|e| 50, Σe² 2500, Σe⁴ 6250000
      const [row] = byKind(r, 'reg');
      expect([Number(row!.n), Number(row!.sum1), Number(row!.sum2), Number(row!.sum3)]).toEqual([1, 50, 2500, 6250000]);
      expect(byKind(r, 'unscored').map((u) => Number(u.n))).toEqual([2]);
    });
  });

  describe('the Athena text differs from the DuckDB text only by the named shims', () => {
    const spec: Omit<QualityQuery, 'dialect'> = {
      ...QUERY,
      database: 'lake',
      captureTable: 'capture',
      groundTruthTable: 'ground_truth',
      reviewTable: 'review_labels',
    };
    it('uses Athena functions and no DuckDB ones', () => {
      const athena = renderQualityQuery({ ...spec, dialect: DIALECTS.athena });
      expect(athena).toContain('json_extract_scalar(');
      expect(athena).toContain('from_iso8601_timestamp(');
      expect(athena).not.toMatch(/json_extract_string|TRY_CAST\([^)]* AS TIMESTAMPTZ\)|quantile_cont|strftime/);
      expect(athena).toContain("capture_hour BETWEEN '2030/01/10/00' AND '2030/01/11/01'");
    });
    it.each<[string, Partial<QualityQuery>]>([
      ['an unsafe table name', { captureTable: 'capture"; DROP TABLE x; --' }],
      ['an unsafe variant', { variants: ["primary' OR '1'='1"] }],
      ['no variants', { variants: [] }],
      ['an unsafe JSON path', { scorePath: "$.score') --" }],
      ['an empty window', { windowEnd: START }],
      ['an invalid date', { windowStart: new Date('nope') }],
      ['a threshold above 1', { threshold: 1.5 }],
      ['classification without a positive label', { positiveLabel: undefined }],
      ['too few bins', { bins: 5 }],
    ])('refuses %s', (_name, over) => {
      expect(() => renderQualityQuery({ ...spec, ...over, dialect: DIALECTS.duckdb })).toThrow(/./);
    });
    it('quotes a positive label with a quote in it', async () => {
      const sql = renderQualityQuery({ ...spec, positiveLabel: "o'brien", dialect: DIALECTS.duckdb });
      expect(sql).toContain("'o''brien'");
    });
  });
});
