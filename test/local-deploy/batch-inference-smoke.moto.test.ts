/**
 * The smoke check's batch inference block against moto: with an Approved package in the group and
 * a new day partition in the source, the real `plan` step claims the partition and the transform
 * job moto records runs a model created from that Approved package (not an older or pending one).
 */
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateModelPackageCommand, CreateModelPackageGroupCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { startTransformWithApprovedPackage } from '../../scripts/local/batch-inference-smoke';
import { describeWithMoto, motoClientConfig } from '../support/moto';

const ENV = {
  TRACKING_TABLE: 'bi-smoke',
  MODEL_PACKAGE_GROUP: 'fraud-detector',
  RESOURCE_PREFIX: 'bi-fraud-detector',
  SOURCE_BUCKET: 'curated',
  SOURCE_PREFIX: 'transactions/',
  PARTITION_KEY: 'ingest_date',
  LOOKBACK_DAYS: '7',
  LATE_HORIZON_DAYS: '30',
  MAX_PARTITIONS: '4',
  CLAIM_TIMEOUT_MINUTES: '270',
  OUTPUT_BUCKET: 'curated',
  OUTPUT_PREFIX: 'predictions/fraud-detector/',
  STAGING_PREFIX: 'batch-inference-staging/fraud-detector/',
};

describeWithMoto('batch inference smoke block (moto)', (moto) => {
  afterEach(() => {
    for (const k of Object.keys(ENV)) delete process.env[k];
  });

  it('starts a transform job over the new partition with a model made from the latest Approved package', async () => {
    const config = motoClientConfig(moto.endpoint);
    const s3 = new S3Client(config);
    const sagemaker = new SageMakerClient(config);
    const dynamodb = new DynamoDBClient(config);
    Object.assign(process.env, ENV);
    await s3.send(new CreateBucketCommand({ Bucket: 'curated' }));
    await dynamodb.send(
      new CreateTableCommand({ TableName: 'bi-smoke', KeySchema: [{ AttributeName: 'partition', KeyType: 'HASH' }], AttributeDefinitions: [{ AttributeName: 'partition', AttributeType: 'S' }], BillingMode: 'PAY_PER_REQUEST' }),
    );
    await sagemaker.send(new CreateModelPackageGroupCommand({ ModelPackageGroupName: 'fraud-detector' }));
    const pkg = (status: 'Approved' | 'PendingManualApproval') =>
      sagemaker.send(
        new CreateModelPackageCommand({
          ModelPackageGroupName: 'fraud-detector',
          ModelApprovalStatus: status,
          InferenceSpecification: { Containers: [{ Image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/fraud:1' }], SupportedContentTypes: ['application/jsonlines'], SupportedResponseMIMETypes: ['application/jsonlines'] },
        }),
      );
    await pkg('Approved');
    const approved = (await pkg('Approved')).ModelPackageArn!;
    await pkg('PendingManualApproval');

    const result = await startTransformWithApprovedPackage({ s3, sagemaker, dynamodb }, 'arn:aws:iam::123456789012:role/batch-model', new Date('2031-03-10T01:30:00Z'));

    expect(result).toEqual({
      modelPackageArn: approved,
      partition: '2031-03-09',
      transformJobName: expect.stringMatching(/^bi-fraud-detector-20310309-[0-9a-f]{12}$/),
      modelPackageOfJob: approved,
    });
  });
});
