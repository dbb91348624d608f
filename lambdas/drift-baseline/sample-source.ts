/**
 * Where an approved model package's training sample comes from. Decided from what the platform
 * wrote, never from metadata alone: the data scientist registers packages and may set any
 * CustomerMetadataProperties (and MetadataProperties) on them, so a claim there is only a hint.
 *
 * 1. A package whose MetadataProperties.GeneratedBy names an execution of the model's own training
 *    pipeline (set at registration; UpdateModelPackage cannot change it) is checked against
 *    SageMaker: that execution's RegisterModel step must have registered this exact package ARN
 *    (ListPipelineExecutionSteps). "plinth:pipeline-execution", which anyone who may update the
 *    package can rewrite, plays no part.
 *    Then the sample is the one the pipeline's evaluation step wrote next to the package's
 *    evaluation report: ModelMetrics.ModelQuality.Statistics.S3Uri (set by the pipeline at
 *    registration; UpdateModelPackage cannot change it) with `evaluation.json` replaced by
 *    `training-sample.jsonl` (JSON Lines; an older evaluation step's `training-sample.csv` is not
 *    read: its values carry Python's formatting). It must lie under the pipeline outputs prefix (`evaluations/`), which
 *    no human role may write (the registry's DataScientistPolicy denies it). "plinth:training-sample"
 *    is ignored. A claim that the pipeline does not confirm is refused (forged lineage).
 * 2. Any other package (registered by hand, e.g. the first model or an import): its
 *    "plinth:training-sample" names the sample, which must be in the platform's training-sample
 *    bucket (the only one this job may read); anything else is refused with the reason.
 * A refusal is a SampleSourceError: logged, counted (BaselineFailed, which pages) and not
 * retried; it never silently skips the baseline.
 */

import { ListPipelineExecutionStepsCommand, type ListPipelineExecutionStepsCommandOutput } from '@aws-sdk/client-sagemaker';

export const TRAINING_SAMPLE_PROPERTY = 'plinth:training-sample';
/** What the pipeline's evaluation step writes next to evaluation.json (lib/training/evaluation/evaluate.py). */
export const PIPELINE_SAMPLE_FILE = 'training-sample.jsonl';
export const PIPELINE_EVALUATION_FILE = 'evaluation.json';
/** Prefix of the pipelines' evaluation outputs in the artifact bucket (lib/model-registry PIPELINE_OUTPUTS_PREFIX). */
export const PIPELINE_OUTPUTS_PREFIX = 'evaluations/';
/** At most this many pages of steps are read per execution (a pipeline has a handful of steps). */
const MAX_STEP_PAGES = 10;

const EXECUTION_ARN = /^arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:\d{12}:pipeline\/([a-zA-Z0-9](?:-*[a-zA-Z0-9]){0,255})\/execution\/([a-zA-Z0-9]{1,256})$/;

/** The sample cannot be determined in a way the platform can vouch for (a retry cannot fix it). */
export class SampleSourceError extends Error {
  override readonly name = 'SampleSourceError';
}

export interface SampleSource {
  uri: string;
  bucket: string;
  key: string;
  /** `pipeline`: derived from the verified pipeline execution; `package-metadata`: "plinth:training-sample" of a hand-registered package. */
  derivedFrom: 'pipeline' | 'package-metadata';
  pipelineExecutionArn?: string;
}

/** The part of DescribeModelPackage's answer the decision reads. */
export interface DescribedPackage {
  /** When the package was registered: the training sample is read as it was then. */
  CreationTime?: Date;
  MetadataProperties?: { GeneratedBy?: string };
  CustomerMetadataProperties?: Record<string, string>;
  ModelMetrics?: { ModelQuality?: { Statistics?: { S3Uri?: string } } };
}

export interface SampleSourceInput {
  modelPackageArn: string;
  described: DescribedPackage;
  /** The model's own training pipeline (lower-case name, as in its ARN); undefined when it has none. */
  pipelineName?: string;
  /** The only bucket training samples may be read from. */
  sampleBucket: string;
  /** ListPipelineExecutionSteps, page by page (the SageMaker client's send in production). */
  listSteps: (arn: string, nextToken: string | undefined) => Promise<ListPipelineExecutionStepsCommandOutput>;
}

export function parseS3Uri(uri: string): { bucket: string; key: string } | undefined {
  const m = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/(.+)$/.exec(uri);
  return m ? { bucket: m[1]!, key: m[2]! } : undefined;
}

/** A ListPipelineExecutionSteps command for one page (exported for the handler and tests). */
export function listStepsCommand(arn: string, nextToken: string | undefined): ListPipelineExecutionStepsCommand {
  return new ListPipelineExecutionStepsCommand({ PipelineExecutionArn: arn, ...(nextToken ? { NextToken: nextToken } : {}) });
}

function isNotFound(err: unknown): boolean {
  const name = (err as { name?: unknown }).name;
  return name === 'ResourceNotFound' || name === 'ValidationException';
}

/** Whether the execution's RegisterModel step registered exactly this package. */
async function executionRegistered(input: SampleSourceInput, executionArn: string): Promise<boolean> {
  let token: string | undefined;
  for (let page = 0; page < MAX_STEP_PAGES; page++) {
    let res: ListPipelineExecutionStepsCommandOutput;
    try {
      res = await input.listSteps(executionArn, token);
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
    const want = input.modelPackageArn.toLowerCase();
    if ((res.PipelineExecutionSteps ?? []).some((s) => s.Metadata?.RegisterModel?.Arn?.toLowerCase() === want)) return true;
    token = res.NextToken;
    if (!token) return false;
  }
  return false;
}

function inSampleBucket(uri: string, sampleBucket: string, what: string): { bucket: string; key: string } {
  const parsed = parseS3Uri(uri);
  if (!parsed) throw new SampleSourceError(`${what} is not an s3://bucket/key URI: ${JSON.stringify(uri.slice(0, 300))}`);
  if (parsed.bucket !== sampleBucket) {
    throw new SampleSourceError(`${what} ${uri.slice(0, 300)} is outside the platform's training-sample bucket ${sampleBucket}`);
  }
  return parsed;
}

export async function resolveTrainingSample(input: SampleSourceInput): Promise<SampleSource> {
  const { described } = input;
  const properties = described.CustomerMetadataProperties ?? {};
  if (input.pipelineName !== undefined) {
    // GeneratedBy only: CreateModelPackage sets it and UpdateModelPackage cannot change it, whereas
    // "plinth:pipeline-execution" (same value from the pipeline) can be rewritten at any time.
    const generatedBy = described.MetadataProperties?.GeneratedBy;
    const executionArn = generatedBy !== undefined && EXECUTION_ARN.exec(generatedBy)?.[1]?.toLowerCase() === input.pipelineName.toLowerCase() ? generatedBy : undefined;
    if (executionArn !== undefined) {
      if (!(await executionRegistered(input, executionArn))) {
        throw new SampleSourceError(`the package claims to come from pipeline execution ${executionArn}, which did not register it`);
      }
      const report = described.ModelMetrics?.ModelQuality?.Statistics?.S3Uri;
      if (report === undefined || !report.endsWith(`/${PIPELINE_EVALUATION_FILE}`)) {
        throw new SampleSourceError(`the package registered by ${executionArn} has no ModelQuality report ending in ${PIPELINE_EVALUATION_FILE}`);
      }
      const uri = `${report.slice(0, -PIPELINE_EVALUATION_FILE.length)}${PIPELINE_SAMPLE_FILE}`;
      const { bucket, key } = inSampleBucket(uri, input.sampleBucket, 'the pipeline\'s training sample');
      if (!key.startsWith(PIPELINE_OUTPUTS_PREFIX)) {
        throw new SampleSourceError(`the pipeline's training sample ${uri} is not under ${PIPELINE_OUTPUTS_PREFIX}, the prefix only the pipeline writes`);
      }
      return { uri, bucket, key, derivedFrom: 'pipeline', pipelineExecutionArn: executionArn };
    }
  }
  const uri = properties[TRAINING_SAMPLE_PROPERTY];
  if (uri === undefined) {
    throw new SampleSourceError(`the model package has no CustomerMetadataProperties "${TRAINING_SAMPLE_PROPERTY}" (s3:// URI of its training sample) and was not registered by the model's training pipeline`);
  }
  const { bucket, key } = inSampleBucket(uri, input.sampleBucket, `"${TRAINING_SAMPLE_PROPERTY}"`);
  return { uri, bucket, key, derivedFrom: 'package-metadata' };
}
