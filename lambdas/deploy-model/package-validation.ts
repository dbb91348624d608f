/**
 * Checks on a model package before anything is deployed from it. Pure.
 */

import type { DescribeModelPackageCommandOutput } from '@aws-sdk/client-sagemaker';

export type ModelPackage = Partial<Pick<
  DescribeModelPackageCommandOutput,
  'ModelPackageArn' | 'ModelPackageGroupName' | 'ModelPackageVersion' | 'ModelApprovalStatus' | 'ModelPackageStatus' | 'InferenceSpecification' | 'CustomerMetadataProperties'
>>;

/**
 * Registry host of an image URI (`host/repo[:tag|@digest]`), lower-cased;
 * undefined when the URI has no explicit registry host (e.g. Docker Hub short
 * names such as `nginx:1` or `library/nginx`).
 */
export function imageRegistryOf(image: string): string | undefined {
  const slash = image.indexOf('/');
  if (slash <= 0) return undefined;
  const host = image.slice(0, slash);
  // Docker treats the first component as a registry only if it has a dot or a port, or is localhost.
  if (!host.includes('.') && !host.includes(':') && host !== 'localhost') return undefined;
  return host.toLowerCase();
}

/** Is `image` pulled from one of the allowed registries (exact host match)? */
export function isAllowedImage(image: string, allowedRegistries: readonly string[]): boolean {
  const host = imageRegistryOf(image.trim());
  return host !== undefined && allowedRegistries.includes(host);
}

/** Reasons why the package cannot be deployed; empty when it can. */
export function validatePackage(pkg: ModelPackage, allowedRegistries: readonly string[]): string[] {
  const problems: string[] = [];
  if (pkg.ModelPackageStatus === 'Failed' || pkg.ModelPackageStatus === 'Deleting') {
    problems.push(`model package status is ${pkg.ModelPackageStatus}`);
  }
  const containers = pkg.InferenceSpecification?.Containers;
  if (!pkg.InferenceSpecification) {
    problems.push('model package has no InferenceSpecification');
  } else if (!containers || containers.length === 0) {
    problems.push('model package InferenceSpecification has no Containers');
  } else {
    containers.forEach((c, i) => {
      if (!c.Image) problems.push(`container ${i} has no Image`);
      else if (!isAllowedImage(c.Image, allowedRegistries)) {
        problems.push(`container ${i} image ${c.Image} is not from an allowed registry (${allowedRegistries.join(', ')})`);
      }
    });
  }
  return problems;
}
