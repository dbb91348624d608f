import { CfnResource, Stack, Stage } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { PlatformPermissionsBoundary } from '../guardrails/permissions-boundary';
import { AccessLogsBucket, SecureBucket } from '../storage/secure-bucket';
import { acknowledgeFinding } from './acknowledge';
import { CONTROL_TOWER_PLUGIN } from './control-tower';
import { PLATFORM_WAIVER } from './platform-waiver';

type Properties = Record<string, any>;

/** One Control Tower finding Plinth accepts, the resources it applies to, and why. */
interface ControlTowerWaiver {
  /** The guard rule name, e.g. `sqs_dlq_check`. */
  readonly rule: string;
  readonly controlId: string;
  readonly resourceType: string;
  /** Why the finding is acceptable on `resource`, or undefined where the waiver does not apply. */
  readonly reasonFor: (resource: CfnResource, props: Properties) => string | undefined;
}


/**
 * What one call of {@link acknowledgeControlTowerWaivers} computes once: each resource's resolved
 * properties, each stack's logical ids, and the dead-letter references in each stack. The tree
 * does not change while it runs (the App's validation, after prepare). Outside a call nothing is kept.
 */
interface WaiverPass {
  readonly properties: WeakMap<CfnResource, Properties>;
  readonly logicalIds: WeakMap<Stack, Set<string>>;
  readonly deadLetterReferences: WeakMap<Stack, Array<{ readonly from: CfnResource; readonly json: string }>>;
}
let pass: WaiverPass | undefined;

function propertiesOf(node: CfnResource): Properties {
  const cached = pass?.properties.get(node);
  if (cached !== undefined) return cached;
  const properties = writtenPropertiesOf(node) ?? resolvedPropertiesOf(node);
  pass?.properties.set(node, properties);
  return properties;
}

/** The resource's properties, resolved as its stack's template renders them. */
export function resolvedPropertiesOf(node: CfnResource): Properties {
  const rendered = Stack.of(node).resolve(node._toCloudFormation()) as { Resources: Record<string, { Properties?: Properties }> };
  return Object.values(rendered.Resources)[0]?.Properties ?? {};
}

/**
 * The resource's properties as read from its stack's template, when the stack's Stage has been
 * synthesized already: the main job's stacks are in Stages, which CDK synthesizes before it
 * validates the App's tree, where the waivers are made. Reading them costs a lookup; resolving
 * every resource again cost about 0.4 s per synth (test/compliance/control-tower-waivers.test.ts
 * holds the two equal on the platform's templates). Undefined where that template is not written
 * yet in this synth (a stack directly in the App, or a gate on a Stage): the caller resolves.
 */
export function writtenPropertiesOf(node: CfnResource): Properties | undefined {
  const stack = Stack.of(node);
  const stage = Stage.of(stack);
  // Stage#synth keeps the assembly it wrote; it is set only once the Stage was synthesized.
  const assembly = (stage as unknown as { assembly?: { getStackArtifact?: (id: string) => { template?: unknown } } } | undefined)?.assembly;
  if (!stage || Stage.isStage(stage) === false || typeof assembly?.getStackArtifact !== 'function') return undefined;
  let template: { Resources?: Record<string, { Properties?: Properties }> } | undefined;
  try {
    template = assembly.getStackArtifact(stack.artifactId).template as typeof template;
  } catch {
    return undefined; // not in that assembly (written by another Stage)
  }
  const resource = template?.Resources?.[stack.resolve(node.logicalId) as string];
  if (resource === undefined) return undefined;
  return resource.Properties ?? {};
}

/** The stack's own CloudFormation resources. */
const resourcesOf = (stack: Stack) => stack.node.findAll().filter((c): c is CfnResource => CfnResource.isCfnResource(c) && Stack.of(c) === stack);

function logicalIdsOf(stack: Stack): Set<string> {
  const cached = pass?.logicalIds.get(stack);
  if (cached !== undefined) return cached;
  const ids = new Set(resourcesOf(stack).map((c) => stack.resolve(c.logicalId) as string));
  pass?.logicalIds.set(stack, ids);
  return ids;
}

/**
 * Whether `value` takes something from another stack. Plinth shares its keys, subnets and
 * access-log bucket across stacks through weak references, which synthesize to
 * `Fn::GetStackOutput`; cfn-guard 3 treats that intrinsic as a missing value.
 */
function comesFromAnotherStack(value: unknown, stack: Stack): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (Array.isArray(value)) return value.some((v) => comesFromAnotherStack(v, stack));
  const object = value as Record<string, unknown>;
  if ('Fn::GetStackOutput' in object || 'Fn::ImportValue' in object) return true;
  const local = logicalIdsOf(stack);
  const ref = object.Ref;
  if (typeof ref === 'string' && !ref.startsWith('AWS::') && !local.has(ref)) return true;
  const getAtt = object['Fn::GetAtt'];
  if (Array.isArray(getAtt) && typeof getAtt[0] === 'string' && !local.has(getAtt[0])) return true;
  return Object.values(object).some((v) => comesFromAnotherStack(v, stack));
}

/** Every value under a dead-letter key (`DeadLetterTargetArn`, `deadLetterConfig`, ...) at any depth of a stack's resources, as JSON. */
function deadLetterReferencesIn(stack: Stack): Array<{ readonly from: CfnResource; readonly json: string }> {
  const cached = pass?.deadLetterReferences.get(stack);
  if (cached !== undefined) return cached;
  const references: Array<{ from: CfnResource; json: string }> = [];
  for (const resource of resourcesOf(stack)) {
    const collect = (value: unknown): void => {
      if (value === null || typeof value !== 'object') return;
      for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
        if (/dead.?letter/i.test(key)) references.push({ from: resource, json: JSON.stringify(v ?? null) });
        collect(v);
      }
    };
    collect(propertiesOf(resource));
  }
  pass?.deadLetterReferences.set(stack, references);
  return references;
}

const crossStack = (what: string, checkedBy: string) =>
  `${what} comes from the Foundation stack through a cross-stack reference (Fn::GetStackOutput), which the Control Tower ` +
  `guard rule cannot read; ${checkedBy} verify the same property.`;

/** Whether a queue is another resource's dead-letter target in its own stack. */
function isDeadLetterTarget(queue: CfnResource): boolean {
  const stack = Stack.of(queue);
  const arn = JSON.stringify({ 'Fn::GetAtt': [stack.resolve(queue.logicalId), 'Arn'] });
  return deadLetterReferencesIn(stack).some((r) => r.from !== queue && r.json.includes(arn));
}

const isAccessLogsBucket = (bucket: CfnResource) => bucket.node.scope?.node.scope instanceof AccessLogsBucket;

/**
 * Whether `bucket` is the `Resource/Resource` of a SecureBucket or an AccessLogsBucket: the
 * construct path those constructs give their bucket, which carries the compensating controls
 * (versioning, RETAIN outside dev, access logs) the bucket waivers rely on. Any other bucket,
 * a new one included, inherits no waiver.
 */
const isPlinthBucket = (bucket: CfnResource) => {
  const owner = bucket.node.scope?.node.scope;
  return (
    (owner instanceof SecureBucket || owner instanceof AccessLogsBucket) &&
    bucket.node.path === `${owner.node.path}/Resource/Resource`
  );
};

/**
 * The Control Tower findings Plinth accepts. Most are the guard rules' blind spot for weak
 * cross-stack references; the rest are design decisions, each with its compensating control.
 */
const CONTROL_TOWER_WAIVERS: readonly ControlTowerWaiver[] = [
  {
    rule: 'sqs_queue_encrypted_check',
    controlId: 'CT.SQS.PR.2',
    resourceType: 'AWS::SQS::Queue',
    reasonFor: (queue, props) =>
      comesFromAnotherStack(props.KmsMasterKeyId, Stack.of(queue)) ? crossStack('The queue\'s KMS key', 'AwsSolutions-SQS2 and the NIST/HIPAA/PCI SQS encryption rules') : undefined,
  },
  {
    rule: 'sqs_dlq_check',
    controlId: 'CT.SQS.PR.1',
    resourceType: 'AWS::SQS::Queue',
    reasonFor: (queue) =>
      isDeadLetterTarget(queue)
        ? 'This queue is itself a dead-letter queue; giving it another would only move the same messages one hop further. Its depth alarms.'
        : undefined,
  },
  {
    rule: 'cloudwatch_log_group_encrypted_check',
    controlId: 'CT.CLOUDWATCH.PR.3',
    resourceType: 'AWS::Logs::LogGroup',
    reasonFor: (group, props) =>
      comesFromAnotherStack(props.KmsKeyId, Stack.of(group)) ? crossStack('The log group\'s KMS key (the logs key)', 'the NIST/HIPAA/PCI CloudWatchLogGroupEncrypted rules') : undefined,
  },
  {
    rule: 'cloudwatch_log_group_retention_period_check',
    controlId: 'CT.CLOUDWATCH.PR.2',
    resourceType: 'AWS::Logs::LogGroup',
    reasonFor: (_group, props) =>
      typeof props.RetentionInDays === 'number' && props.RetentionInDays < 365
        ? `Retention is the environment's logRetentionDays in config/ (${props.RetentionInDays} days here), reviewed with the config; prod keeps 365 days.`
        : undefined,
  },
  {
    rule: 'lambda_inside_vpc_check',
    controlId: 'CT.LAMBDA.PR.3',
    resourceType: 'AWS::Lambda::Function',
    reasonFor: (fn, props) => {
      if (comesFromAnotherStack(props.VpcConfig?.SubnetIds, Stack.of(fn))) {
        return crossStack('The function\'s VPC subnets', 'the NIST/HIPAA/PCI LambdaInsideVPC rules');
      }
      if (props.VpcConfig === undefined && fn.node.path.includes('CustomResourceProvider')) {
        return 'CDK\'s own custom-resource provider runs once per deploy to strip the default security group\'s rules; it calls only the EC2 API and holds no data.';
      }
      return undefined;
    },
  },
  {
    rule: 's3_bucket_logging_enabled_check',
    controlId: 'CT.S3.PR.2',
    resourceType: 'AWS::S3::Bucket',
    reasonFor: (bucket, props) => {
      if (isAccessLogsBucket(bucket)) return 'This is the access-log bucket; logging it into itself would loop.';
      return comesFromAnotherStack(props.LoggingConfiguration?.DestinationBucketName, Stack.of(bucket))
        ? crossStack('The access-log destination bucket', 'AwsSolutions-S1 and the NIST/HIPAA/PCI S3BucketLoggingEnabled rules')
        : undefined;
    },
  },
  {
    rule: 's3_bucket_default_encryption_kms_check',
    controlId: 'CT.S3.PR.10',
    resourceType: 'AWS::S3::Bucket',
    reasonFor: (bucket) =>
      isAccessLogsBucket(bucket) ? 'S3 delivers server access logs only to SSE-S3 buckets; this bucket holds access metadata, not data.' : undefined,
  },
  {
    rule: 's3_bucket_object_lock_enabled_check',
    controlId: 'CT.S3.PR.9',
    resourceType: 'AWS::S3::Bucket',
    reasonFor: (bucket) =>
      isPlinthBucket(bucket) ? 'Object Lock would block the lifecycle expiry and deletion that the data-retention config requires; versioning, RETAIN outside dev and the permissions boundary protect objects instead.' : undefined,
  },
  {
    rule: 's3_event_notifications_enabled_check',
    controlId: 'CT.S3.PR.4',
    resourceType: 'AWS::S3::Bucket',
    reasonFor: (bucket, props) =>
      isPlinthBucket(bucket) && props.NotificationConfiguration === undefined
        ? 'No process consumes this bucket\'s object events; every request is recorded in the access-log bucket, and buckets that feed a pipeline (raw) do notify.'
        : undefined,
  },
  {
    rule: 'athena_workgroup_results_encrypted_at_rest_kms_check',
    controlId: 'CT.ATHENA.PR.2',
    resourceType: 'AWS::Athena::WorkGroup',
    reasonFor: (workGroup, props) =>
      comesFromAnotherStack(props.WorkGroupConfiguration?.ResultConfiguration?.EncryptionConfiguration?.KmsKey, Stack.of(workGroup))
        ? crossStack('The workgroup\'s SSE_KMS result key', 'the NIST/HIPAA/PCI Athena encryption rules')
        : undefined,
  },
  {
    rule: 'iam_managed_policy_no_statements_with_full_access_check',
    controlId: 'CT.IAM.PR.3',
    resourceType: 'AWS::IAM::ManagedPolicy',
    reasonFor: (policy) =>
      policy.node.scope?.node.scope instanceof PlatformPermissionsBoundary
        ? 'A permissions boundary grants nothing; it caps what each role\'s own policy may grant, and its denies hold regardless.'
        : undefined,
  },
];

const waived = new WeakSet<CfnResource>();

/**
 * Acknowledges the Control Tower findings in {@link CONTROL_TOWER_WAIVERS} on every resource
 * under `root` where they apply, through `acknowledgeFinding` like every other waiver (reason,
 * owner, expiry; listed in the register). Idempotent.
 */
export function acknowledgeControlTowerWaivers(root: IConstruct): void {
  const outer = pass;
  pass = { properties: new WeakMap(), logicalIds: new WeakMap(), deadLetterReferences: new WeakMap() };
  try {
    for (const node of root.node.findAll()) {
      if (!CfnResource.isCfnResource(node) || waived.has(node)) continue;
      waived.add(node);
      const waivers = CONTROL_TOWER_WAIVERS.filter((w) => w.resourceType === node.cfnResourceType);
      if (waivers.length === 0) continue;
      const props = propertiesOf(node);
      for (const waiver of waivers) {
        const reason = waiver.reasonFor(node, props);
        if (reason === undefined) continue;
        acknowledgeFinding(node, {
          rule: waiver.rule,
          plugin: CONTROL_TOWER_PLUGIN,
          reason: `${waiver.controlId}: ${reason}`,
          ...PLATFORM_WAIVER,
        });
      }
    }
  } finally {
    pass = outer;
  }
}
