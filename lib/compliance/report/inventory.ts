import { REQUIRED_TAG_KEYS } from '../../guardrails/required-tags';
import type { InventoryItem } from './model';

type Json = any;

/** A CloudFormation value as a reader sees it: a literal, or the resource or output it points to. */
export function describeValue(value: Json): string {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'object') return String(value);
  if (Array.isArray(value)) return value.map(describeValue).join(', ');
  if (typeof value.Ref === 'string') return value.Ref;
  if (Array.isArray(value['Fn::GetAtt'])) return `${value['Fn::GetAtt'][0]}.${value['Fn::GetAtt'][1]}`;
  if (value['Fn::GetStackOutput']) return `${value['Fn::GetStackOutput'].StackName} output ${value['Fn::GetStackOutput'].OutputName}`;
  if (value['Fn::ImportValue']) return `import ${describeValue(value['Fn::ImportValue'])}`;
  if (Array.isArray(value['Fn::Join'])) return (value['Fn::Join'][1] as Json[]).map(describeValue).join(value['Fn::Join'][0]);
  if (value['Fn::Sub'] !== undefined) return describeValue(value['Fn::Sub']);
  return JSON.stringify(value);
}

/** Types that hold no data at rest, for which "encryption" does not apply. */
const STORES_DATA = new Set([
  'AWS::S3::Bucket',
  'AWS::DynamoDB::Table',
  'AWS::SQS::Queue',
  'AWS::SNS::Topic',
  'AWS::Logs::LogGroup',
  'AWS::SageMaker::EndpointConfig',
  'AWS::SageMaker::FeatureGroup',
  'AWS::SageMaker::Model',
  'AWS::Athena::WorkGroup',
  'AWS::Lambda::Function',
  'AWS::KMS::Key',
  'AWS::Kinesis::Stream',
  'AWS::KinesisFirehose::DeliveryStream',
  'AWS::SecretsManager::Secret',
  'AWS::Glue::Database',
  'AWS::Glue::Table',
  'AWS::StepFunctions::StateMachine',
  'AWS::Events::EventBus',
  'AWS::Backup::BackupVault',
]);

const KEY_PROPERTY = /^(KmsKeyId|KmsKeyArn|KMSMasterKeyID|KmsMasterKeyId|KMSKeyArn|KmsKey|SSEKMSKeyId|KmsKeyIdentifier|EncryptionKey|EncryptionKeyArn)$/;

function findKeys(value: Json, found: string[]): void {
  if (value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    for (const v of value) findKeys(v, found);
    return;
  }
  for (const [key, v] of Object.entries(value)) {
    if (KEY_PROPERTY.test(key) && v !== undefined && v !== '') found.push(describeValue(v));
    else findKeys(v, found);
  }
}

function encryptionOf(type: string, props: Json): string {
  const keys: string[] = [];
  findKeys(props, keys);
  if (keys.length > 0) return [...new Set(keys)].map((k) => `KMS ${k}`).join('; ');
  if (type === 'AWS::KMS::Key') return 'is a KMS key';
  if (type === 'AWS::S3::Bucket') {
    const algorithm = props.BucketEncryption?.ServerSideEncryptionConfiguration?.[0]?.ServerSideEncryptionByDefault?.SSEAlgorithm;
    if (algorithm === 'AES256') return 'SSE-S3 (S3-managed key)';
    if (typeof algorithm === 'string') return `${algorithm} (AWS-managed key)`;
    return 'S3 default (SSE-S3)';
  }
  if (type === 'AWS::DynamoDB::Table') return props.SSESpecification?.SSEEnabled ? 'KMS (AWS-managed key)' : 'DynamoDB default (AWS-owned key)';
  if (type === 'AWS::SQS::Queue' && props.SqsManagedSseEnabled !== false) return 'SSE-SQS (SQS-managed key)';
  return STORES_DATA.has(type) ? 'none declared' : 'n/a';
}

function publicExposureOf(type: string, props: Json): string {
  switch (type) {
    case 'AWS::S3::Bucket': {
      const block = props.PublicAccessBlockConfiguration ?? {};
      const all = ['BlockPublicAcls', 'BlockPublicPolicy', 'IgnorePublicAcls', 'RestrictPublicBuckets'].every((k) => block[k] === true);
      return all ? 'none (public access blocked)' : 'possible (public access not fully blocked)';
    }
    case 'AWS::Lambda::Url':
      return props.AuthType === 'NONE' ? 'public URL without auth' : `URL with ${props.AuthType} auth`;
    case 'AWS::Lambda::Permission':
      return props.Principal === '*' ? 'any principal may invoke' : 'none';
    case 'AWS::EC2::SecurityGroup': {
      const open = (props.SecurityGroupIngress ?? []).some((r: Json) => r.CidrIp === '0.0.0.0/0' || r.CidrIpv6 === '::/0');
      return open ? 'ingress open to the internet' : 'none';
    }
    case 'AWS::EC2::SecurityGroupIngress':
      return props.CidrIp === '0.0.0.0/0' || props.CidrIpv6 === '::/0' ? 'ingress open to the internet' : 'none';
    case 'AWS::ElasticLoadBalancingV2::LoadBalancer':
      return props.Scheme === 'internal' ? 'none (internal)' : 'internet-facing';
    case 'AWS::ApiGateway::RestApi':
    case 'AWS::ApiGatewayV2::Api':
      return 'API endpoint';
    case 'AWS::EC2::InternetGateway':
      return 'internet gateway';
    default:
      return 'none';
  }
}

function loggingOf(type: string, props: Json): string {
  switch (type) {
    case 'AWS::S3::Bucket':
      return props.LoggingConfiguration ? `access logs to ${describeValue(props.LoggingConfiguration.DestinationBucketName) || 'this bucket'}` : 'no access logs';
    case 'AWS::Lambda::Function':
      return props.LoggingConfig?.LogGroup ? `log group ${describeValue(props.LoggingConfig.LogGroup)}` : 'default log group';
    case 'AWS::StepFunctions::StateMachine':
      return props.LoggingConfiguration ? `level ${props.LoggingConfiguration.Level ?? 'set'}` : 'no logging';
    case 'AWS::ApiGateway::Stage':
    case 'AWS::ApiGatewayV2::Stage':
      return props.AccessLogSetting ? 'access logs' : 'no access logs';
    case 'AWS::EC2::FlowLog':
      return `flow log (${props.TrafficType ?? 'ALL'})`;
    case 'AWS::SageMaker::EndpointConfig':
      return props.DataCaptureConfig?.EnableCapture === false || !props.DataCaptureConfig ? 'no data capture' : 'data capture';
    case 'AWS::Athena::WorkGroup':
      return props.WorkGroupConfiguration?.PublishCloudWatchMetricsEnabled ? 'CloudWatch metrics' : 'no metrics';
    default:
      return 'n/a';
  }
}

function tagValue(props: Json, key: string): string | null {
  const tags = props.Tags;
  if (Array.isArray(tags)) {
    const tag = tags.find((t: Json) => t?.Key === key);
    return tag ? describeValue(tag.Value) : null;
  }
  if (tags && typeof tags === 'object' && key in tags) return describeValue(tags[key]);
  return null;
}

/**
 * The inventory of one template: every resource with its type, path, encryption, public
 * exposure, logging, and data-classification and owner tags.
 *
 * @param pathOf the construct path of a logical id; the template's `aws:cdk:path` metadata otherwise
 */
export function inventoryOfTemplate(stack: string, template: Json, pathOf: (logicalId: string) => string | undefined): InventoryItem[] {
  return Object.entries<Json>(template.Resources ?? {}).map(([logicalId, resource]) => {
    const props = resource.Properties ?? {};
    return {
      stack,
      logicalId,
      type: resource.Type,
      path: pathOf(logicalId) ?? resource.Metadata?.['aws:cdk:path'] ?? `${stack}/${logicalId}`,
      encryption: encryptionOf(resource.Type, props),
      publicExposure: publicExposureOf(resource.Type, props),
      logging: loggingOf(resource.Type, props),
      dataClassification: tagValue(props, REQUIRED_TAG_KEYS.dataClassification),
      owner: tagValue(props, REQUIRED_TAG_KEYS.owner),
    };
  });
}
