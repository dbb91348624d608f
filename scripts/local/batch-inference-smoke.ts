/**
 * The batch inference part of the local smoke check: a day partition lands in the source dataset,
 * the job's `plan` step (the real handler, with the deployed function's environment) resolves the
 * Approved package and claims the partition, and the job's SageMaker calls are made as its state
 * machine makes them: CreateModel from that package, then CreateTransformJob over the partition.
 * moto records the transform job without running it, so conservation and publishing are not
 * exercised here (the handler's moto tests cover them with a simulated transform output).
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { CreateModelCommand, CreateTransformJobCommand, DescribeModelCommand, DescribeTransformJobCommand, type SageMakerClient } from '@aws-sdk/client-sagemaker';
import { clients as handlerClients, handler, type PlanResult } from '../../lambdas/batch-inference';
import { routeClient } from './in-process';

export interface BatchSmokeResult {
  readonly modelPackageArn: string;
  readonly partition: string;
  readonly transformJobName: string;
  /** The package the transform job's model was created from, as SageMaker describes it. */
  readonly modelPackageOfJob: string;
}

/**
 * Runs the check with `process.env` already set to the function's environment (and the emulator's
 * endpoint); `roleArn` is the model role the job passes. Fails when nothing is claimed or the
 * transform job's model is not the Approved package. The handler's own clients send through `clients`.
 */
export async function startTransformWithApprovedPackage(
  clients: { s3: S3Client; sagemaker: SageMakerClient; dynamodb: DynamoDBClient },
  roleArn: string,
  now: Date,
): Promise<BatchSmokeResult> {
  const unroute = [
    routeClient(handlerClients.s3, clients.s3),
    routeClient(handlerClients.sagemaker, clients.sagemaker),
    routeClient(handlerClients.dynamodb, clients.dynamodb),
  ];
  try {
    return await startTransform(clients, roleArn, now);
  } finally {
    for (const undo of unroute) undo();
  }
}

async function startTransform(clients: { s3: S3Client; sagemaker: SageMakerClient }, roleArn: string, now: Date): Promise<BatchSmokeResult> {
  const env = process.env;
  const yesterday = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - 1)).toISOString().slice(0, 10);
  await clients.s3.send(
    new PutObjectCommand({
      Bucket: env.SOURCE_BUCKET,
      Key: `${env.SOURCE_PREFIX}${env.PARTITION_KEY}=${yesterday}/smoke.jsonl`,
      Body: '{"transaction_id":"smoke-1","amount":12.5}\n{"transaction_id":"smoke-2","amount":99}\n',
    }),
  );
  const runId = `smoke-${now.getTime()}`;
  const plan = (await handler({ action: 'plan', runId, time: now.toISOString() })) as PlanResult;
  if (plan.status !== 'ready') throw new Error(`batch inference planned nothing: ${plan.status}`);
  const partition = plan.partitions.find((p) => p.partition === yesterday);
  if (!partition) throw new Error(`partition ${yesterday} was not claimed (claimed: ${plan.partitions.map((p) => p.partition).join(', ') || 'none'})`);
  await clients.sagemaker.send(
    new CreateModelCommand({
      ModelName: plan.modelName!,
      PrimaryContainer: { ModelPackageName: plan.modelPackageArn! },
      ExecutionRoleArn: roleArn,
      EnableNetworkIsolation: true,
    }),
  );
  await clients.sagemaker.send(
    new CreateTransformJobCommand({
      TransformJobName: partition.transformJobName,
      ModelName: plan.modelName!,
      BatchStrategy: 'MultiRecord',
      TransformInput: { DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: partition.inputUri } }, ContentType: 'application/jsonlines', SplitType: 'Line' },
      TransformOutput: { S3OutputPath: partition.stagingUri, AssembleWith: 'Line' },
      TransformResources: { InstanceType: 'ml.m5.xlarge', InstanceCount: 1 },
    }),
  );
  const job = await clients.sagemaker.send(new DescribeTransformJobCommand({ TransformJobName: partition.transformJobName }));
  const model = await clients.sagemaker.send(new DescribeModelCommand({ ModelName: job.ModelName! }));
  const modelPackageOfJob = model.PrimaryContainer?.ModelPackageName ?? model.Containers?.[0]?.ModelPackageName ?? '';
  if (modelPackageOfJob !== plan.modelPackageArn) {
    throw new Error(`transform job ${partition.transformJobName} runs model ${job.ModelName} of package "${modelPackageOfJob}", not the Approved ${plan.modelPackageArn}`);
  }
  return { modelPackageArn: plan.modelPackageArn!, partition: yesterday, transformJobName: partition.transformJobName, modelPackageOfJob };
}
