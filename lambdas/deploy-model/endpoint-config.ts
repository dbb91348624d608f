/**
 * Builds the new endpoint config from the endpoint's current one: every
 * setting is copied, only the target variant's ModelName changes. Pure.
 */

import type {
  CreateEndpointConfigInput,
  DescribeEndpointConfigCommandOutput,
  ProductionVariant,
  Tag,
} from '@aws-sdk/client-sagemaker';
import { DeploymentFailure } from './errors';

/** Tag put on an endpoint config once UpdateEndpoint to it was accepted (see deploy.ts). */
export const SUBMITTED_TAG_KEY = 'plinth:deployment-submitted';

export type CurrentEndpointConfig = Omit<DescribeEndpointConfigCommandOutput, '$metadata'>;

type CopiedKey = Exclude<keyof CreateEndpointConfigInput, 'EndpointConfigName' | 'Tags'>;

/**
 * Every CreateEndpointConfig field besides the name and tags. Typed as a full
 * Record so that an SDK upgrade adding a field to CreateEndpointConfigInput
 * fails to compile here until it is copied (never silently dropped), and a
 * field that DescribeEndpointConfig does not return fails to compile below.
 */
const COPIED_KEYS: Record<CopiedKey, true> = {
  ProductionVariants: true,
  DataCaptureConfig: true,
  KmsKeyId: true,
  AsyncInferenceConfig: true,
  ExplainerConfig: true,
  ShadowProductionVariants: true,
  ExecutionRoleArn: true,
  VpcConfig: true,
  EnableNetworkIsolation: true,
  MetricsConfig: true,
};

/**
 * Instance types with local NVMe instance storage. SageMaker rejects
 * CreateEndpointConfig with a KmsKeyId when any variant uses one (their local
 * storage is encrypted by the instance's hardware module), so the default key
 * is not injected for them. Heuristic: "d" families (m5d, c6id, g4dn, p4d,
 * p3dn...) plus the GPU/Trainium families whose storage is always local.
 */
const LOCAL_STORAGE_INSTANCE = /^ml\.(?:[a-z]+\d+[a-z]*d[a-z]*|g5|g6|g6e|gr6|p5|p5e|p5en|trn1|trn1n|trn2)\./;

export function hasLocalInstanceStorage(instanceType: string | undefined): boolean {
  return instanceType !== undefined && LOCAL_STORAGE_INSTANCE.test(instanceType);
}

export interface BuildOptions {
  endpointConfigName: string;
  variantName: string;
  modelName: string;
  /** Tags of the current config (already filtered with {@link copyableTags}). */
  tags: Tag[];
  /** MODELS_KMS_KEY_ARN: used where the current config has no key. */
  defaultKmsKeyArn: string;
}

/** Tags that can and should be carried over: not aws:-reserved, not our per-config marker. */
export function copyableTags(tags: readonly Tag[] | undefined): Tag[] {
  return (tags ?? [])
    .filter((t) => t.Key !== undefined && !t.Key.toLowerCase().startsWith('aws:') && t.Key !== SUBMITTED_TAG_KEY)
    .map((t) => ({ Key: t.Key, Value: t.Value ?? '' }));
}

/** The target variant of a config, or a clear failure when it is absent. */
export function findVariant(current: CurrentEndpointConfig, variantName: string): ProductionVariant {
  const variant = (current.ProductionVariants ?? []).find((v) => v.VariantName === variantName);
  if (!variant) {
    const known = (current.ProductionVariants ?? []).map((v) => v.VariantName).join(', ');
    throw new DeploymentFailure(
      'unknown-variant',
      `endpoint config ${current.EndpointConfigName} has no production variant ${variantName} (variants: ${known || 'none'})`,
    );
  }
  if (!variant.ModelName) {
    throw new DeploymentFailure(
      'unknown-variant',
      `variant ${variantName} of endpoint config ${current.EndpointConfigName} has no ModelName: an inference component serves it, so DEPLOYMENTS must name it in inferenceComponentName`,
    );
  }
  return variant;
}

export function buildEndpointConfigInput(current: CurrentEndpointConfig, opts: BuildOptions): CreateEndpointConfigInput {
  findVariant(current, opts.variantName);
  const input: CreateEndpointConfigInput = { EndpointConfigName: opts.endpointConfigName, ProductionVariants: undefined };
  const target = input as unknown as Record<string, unknown>;
  for (const key of Object.keys(COPIED_KEYS) as CopiedKey[]) {
    const value = current[key];
    if (value !== undefined && value !== null) target[key] = structuredClone(value);
  }

  input.ProductionVariants = (input.ProductionVariants ?? []).map((v) =>
    v.VariantName === opts.variantName ? { ...v, ModelName: opts.modelName } : v,
  );

  if (!input.KmsKeyId) {
    const local = [...input.ProductionVariants, ...(input.ShadowProductionVariants ?? [])].some((v) => hasLocalInstanceStorage(v.InstanceType));
    if (!local) input.KmsKeyId = opts.defaultKmsKeyArn;
  }
  // An empty DataCaptureConfig means "no data capture" (moto answers {} instead of omitting it).
  if (input.DataCaptureConfig && Object.keys(input.DataCaptureConfig).length === 0) delete input.DataCaptureConfig;
  if (input.DataCaptureConfig && !input.DataCaptureConfig.KmsKeyId) {
    input.DataCaptureConfig.KmsKeyId = opts.defaultKmsKeyArn;
  }
  if (opts.tags.length > 0) input.Tags = opts.tags.map((t) => ({ ...t }));
  return input;
}
