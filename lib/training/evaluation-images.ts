import { Token } from 'aws-cdk-lib';
import { PlinthError } from '../errors';

/**
 * The AWS-published SageMaker scikit-learn image the reference evaluation script runs on, by
 * region. The registry accounts are AWS's (the SageMaker Python SDK's `image_uri_config`,
 * framework registries), checked 2026-12-04. The reference script needs only Python 3 and numpy
 * (pyarrow when the training set is Parquet), so any tag of this image that has them will do.
 * A region missing here fails synth: add it after checking the SDK's table, or bring your own
 * evaluation image (`evaluation.image`).
 */
export const SKLEARN_PROCESSING_IMAGE = {
  checked: '2026-12-04',
  repository: 'sagemaker-scikit-learn',
  tag: '1.2-1-cpu-py3',
  registries: {
    'ap-northeast-1': '354813040037',
    'ap-northeast-2': '366743142698',
    'ap-south-1': '720646828776',
    'ap-southeast-1': '121021644041',
    'ap-southeast-2': '783357654285',
    'ca-central-1': '341280168497',
    'eu-central-1': '492215442770',
    'eu-north-1': '662702820516',
    'eu-west-1': '141502667606',
    'eu-west-2': '764974769150',
    'eu-west-3': '659782779980',
    'sa-east-1': '737474898029',
    'us-east-1': '683313688378',
    'us-east-2': '257758044811',
    'us-west-1': '746614075791',
    'us-west-2': '246618743249',
  } as Readonly<Record<string, string>>,
} as const;

/** The reference evaluation image's URI and registry account in `region`. */
export function referenceEvaluationImage(region: string): { uri: string; account: string } {
  if (Token.isUnresolved(region)) {
    throw new PlinthError('the reference evaluation image is chosen per region: give the stack an explicit env region, or set evaluation.image to your own image');
  }
  const account = SKLEARN_PROCESSING_IMAGE.registries[region];
  if (!account) {
    throw new PlinthError(
      `no AWS scikit-learn processing image is recorded for ${region} (lib/training/evaluation-images.ts, checked ${SKLEARN_PROCESSING_IMAGE.checked}); add the region's registry account there, or set evaluation.image`,
    );
  }
  return { uri: `${account}.dkr.ecr.${region}.amazonaws.com/${SKLEARN_PROCESSING_IMAGE.repository}:${SKLEARN_PROCESSING_IMAGE.tag}`, account };
}
