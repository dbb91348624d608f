/**
 * Contract B: which model package an endpoint serves now. deploy-model tags every model it creates
 * with `plinth:model-package` = the package it was built from; the endpoint's CURRENT config names
 * the model of each production variant, and DescribeEndpoint gives each variant's current weight.
 * Used by the quality job (each variant's baseline) and the training pipeline's champion lookup
 * (the incumbent a retrained model must beat). Not the group's latest Approved package: an
 * approval whose canary rolled back, whose deployment failed or is still waiting is not served.
 *
 * AWS errors propagate, except a missing endpoint, which {@link readServedVariants} reports as
 * `{ endpoint: 'not-found' }` (its callers decide what that means, visibly).
 */

import { DescribeEndpointCommand, DescribeEndpointConfigCommand, DescribeModelCommand, ListTagsCommand } from '@aws-sdk/client-sagemaker';
import type { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { messageOf, nameOf } from './aws-errors';

/** The tag deploy-model puts on every model it creates: the package the model was built from. */
export const MODEL_PACKAGE_TAG = 'plinth:model-package';

/** One production variant of the endpoint's current config. */
export interface ServedVariant {
  readonly variantName: string;
  /** The model on the variant; undefined when the variant runs none of its own (an inference component). */
  readonly modelName?: string;
  /**
   * The variant's share of traffic now: DescribeEndpoint's CurrentWeight, else the config's
   * InitialVariantWeight, else 1 (SageMaker's default weight).
   */
  readonly weight: number;
}

export type ServedEndpoint =
  | { readonly endpoint: 'not-found'; readonly message: string }
  | { readonly endpoint: 'found'; readonly status?: string; readonly endpointConfigName?: string; readonly variants: readonly ServedVariant[] };

/** SageMaker reports a missing endpoint as ValidationException "Could not find endpoint ...". */
const NOT_FOUND_MESSAGE = /could not find|does not exist|not found/i;

function isNotFound(err: unknown): boolean {
  const name = nameOf(err);
  return name === 'ResourceNotFound' || name === 'ResourceNotFoundException' || (name === 'ValidationException' && NOT_FOUND_MESSAGE.test(messageOf(err)));
}

/** The endpoint's current config and its production variants (no variants when it has no config yet). */
export async function readServedVariants(sagemaker: SageMakerClient, endpointName: string): Promise<ServedEndpoint> {
  let endpoint;
  try {
    endpoint = await sagemaker.send(new DescribeEndpointCommand({ EndpointName: endpointName }));
  } catch (err) {
    if (isNotFound(err)) return { endpoint: 'not-found', message: messageOf(err) };
    throw err;
  }
  const status = endpoint.EndpointStatus;
  if (!endpoint.EndpointConfigName) return { endpoint: 'found', status, variants: [] };
  const config = await sagemaker.send(new DescribeEndpointConfigCommand({ EndpointConfigName: endpoint.EndpointConfigName }));
  const current = new Map((endpoint.ProductionVariants ?? []).map((v) => [v.VariantName, v.CurrentWeight]));
  const variants = (config.ProductionVariants ?? []).map((pv) => ({
    variantName: pv.VariantName ?? '',
    ...(pv.ModelName ? { modelName: pv.ModelName } : {}),
    weight: current.get(pv.VariantName) ?? pv.InitialVariantWeight ?? 1,
  }));
  return { endpoint: 'found', status, endpointConfigName: endpoint.EndpointConfigName, variants };
}

/** The package `modelName` was deployed from (deploy-model's tag, every page of ListTags), or undefined for a model it did not create. */
export async function packageOfModel(sagemaker: SageMakerClient, modelName: string): Promise<string | undefined> {
  const model = await sagemaker.send(new DescribeModelCommand({ ModelName: modelName }));
  if (!model.ModelArn) return undefined;
  let token: string | undefined;
  do {
    const page = await sagemaker.send(new ListTagsCommand({ ResourceArn: model.ModelArn, ...(token ? { NextToken: token } : {}) }));
    const tag = page.Tags?.find((t) => t.Key === MODEL_PACKAGE_TAG);
    if (tag?.Value) return tag.Value;
    token = page.NextToken || undefined;
  } while (token);
  return undefined;
}
