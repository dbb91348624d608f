/**
 * SageMaker instance families with local NVMe instance storage. SageMaker rejects a KMS volume key
 * on these (AWS: "KMS key ... not supported for instance types with local instance storage");
 * their NVMe volumes are encrypted at rest by the hardware with XTS-AES-256 instead.
 */
export const NVME_INSTANCE_FAMILIES = [
  'c5d', 'c6id', 'g4dn', 'g5', 'g6', 'g6e', 'm5d', 'm6id', 'p3dn', 'p4d', 'p4de', 'p5', 'p5e', 'p5en', 'r5d', 'r6id', 'trn1', 'trn1n',
] as const;

/** IAM `sagemaker:InstanceTypes` patterns of the NVMe families, e.g. `ml.g5.*`. */
export const NVME_INSTANCE_TYPE_PATTERNS: string[] = NVME_INSTANCE_FAMILIES.map((family) => `ml.${family}.*`);
