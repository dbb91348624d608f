import { NVME_INSTANCE_FAMILIES } from '../guardrails/instance-storage';

/** What Plinth knows of a SageMaker instance family. */
export interface InstanceFamily {
  /** GPUs per size (index = size). 0 = no GPU. */
  readonly gpus: Readonly<Record<string, number>>;
  /** Accelerator, for humans. */
  readonly accelerator?: string;
}

/**
 * SageMaker real-time inference instance types Plinth accepts, from the SageMaker pricing and
 * instance-type pages (checked 2026-11). A type not listed here fails synth: add it here after
 * checking that SageMaker hosting offers it.
 */
export const INSTANCE_FAMILIES: Readonly<Record<string, InstanceFamily>> = {
  g4dn: { accelerator: 'NVIDIA T4', gpus: { xlarge: 1, '2xlarge': 1, '4xlarge': 1, '8xlarge': 1, '12xlarge': 4, '16xlarge': 1 } },
  g5: { accelerator: 'NVIDIA A10G', gpus: { xlarge: 1, '2xlarge': 1, '4xlarge': 1, '8xlarge': 1, '12xlarge': 4, '16xlarge': 1, '24xlarge': 4, '48xlarge': 8 } },
  g6: { accelerator: 'NVIDIA L4', gpus: { xlarge: 1, '2xlarge': 1, '4xlarge': 1, '8xlarge': 1, '12xlarge': 4, '16xlarge': 1, '24xlarge': 4, '48xlarge': 8 } },
  g6e: { accelerator: 'NVIDIA L40S', gpus: { xlarge: 1, '2xlarge': 1, '4xlarge': 1, '8xlarge': 1, '12xlarge': 4, '16xlarge': 1, '24xlarge': 4, '48xlarge': 8 } },
  p4d: { accelerator: 'NVIDIA A100', gpus: { '24xlarge': 8 } },
  p4de: { accelerator: 'NVIDIA A100 80GB', gpus: { '24xlarge': 8 } },
  p5: { accelerator: 'NVIDIA H100', gpus: { '48xlarge': 8 } },
  p5e: { accelerator: 'NVIDIA H200', gpus: { '48xlarge': 8 } },
  inf2: { accelerator: 'AWS Inferentia2', gpus: { xlarge: 0, '8xlarge': 0, '24xlarge': 0, '48xlarge': 0 } },
  m5: { gpus: { large: 0, xlarge: 0, '2xlarge': 0, '4xlarge': 0, '12xlarge': 0, '24xlarge': 0 } },
  c5: { gpus: { large: 0, xlarge: 0, '2xlarge': 0, '4xlarge': 0, '9xlarge': 0, '18xlarge': 0 } },
  m6i: { gpus: { large: 0, xlarge: 0, '2xlarge': 0, '4xlarge': 0, '8xlarge': 0, '12xlarge': 0, '16xlarge': 0, '24xlarge': 0, '32xlarge': 0 } },
  c6i: { gpus: { large: 0, xlarge: 0, '2xlarge': 0, '4xlarge': 0, '8xlarge': 0, '12xlarge': 0, '16xlarge': 0, '24xlarge': 0, '32xlarge': 0 } },
};

/** The facts synth needs about one instance type. */
export interface InstanceTypeInfo {
  readonly family: string;
  readonly gpus: number;
  /** Local NVMe storage: SageMaker refuses a KMS volume key on these. */
  readonly nvme: boolean;
}

/**
 * Looks up `ml.<family>.<size>`.
 *
 * @returns the type's facts, or a message saying what is wrong and what would be valid
 */
export function describeInstanceType(instanceType: string): InstanceTypeInfo | string {
  const match = /^ml\.([a-z0-9]+)\.([a-z0-9]+)$/.exec(instanceType);
  if (!match) return `"${instanceType}" is not a SageMaker instance type; write it as ml.<family>.<size>, e.g. ml.g5.xlarge`;
  const [, family, size] = match;
  const known = INSTANCE_FAMILIES[family];
  if (!known) {
    return `"${instanceType}": family "${family}" is not in Plinth's instance table (lib/inference/instance-types.ts); known: ${Object.keys(INSTANCE_FAMILIES).join(', ')}`;
  }
  const gpus = known.gpus[size];
  if (gpus === undefined) {
    return `"${instanceType}": size "${size}" does not exist for ${family}; sizes: ${Object.keys(known.gpus).join(', ')}`;
  }
  return { family, gpus, nvme: (NVME_INSTANCE_FAMILIES as readonly string[]).includes(family) };
}
