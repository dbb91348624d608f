/**
 * What `npm run local:deploy -- --keep` prints once dev is deployed: the exact `export` lines that
 * point the plinth CLI (and the AWS CLI) at the emulator, and the commands to try with them.
 */
import { EMULATOR_CREDENTIALS } from './emulator';
import { LOCAL_ENVIRONMENT } from './emulator-account';

/** The shell lines that point the CLI at the emulator: endpoint, dummy credentials, region, account. */
export function operatorSessionExports(endpoint: string, region: string, account: string): string[] {
  return [
    `export AWS_ENDPOINT_URL=${endpoint}`,
    `export AWS_ACCESS_KEY_ID=${EMULATOR_CREDENTIALS.AWS_ACCESS_KEY_ID}`,
    `export AWS_SECRET_ACCESS_KEY=${EMULATOR_CREDENTIALS.AWS_SECRET_ACCESS_KEY}`,
    `export AWS_REGION=${region}`,
    // dev runs in the emulator's account, not config/dev.ts's: promote checks accounts against this.
    `export PLINTH_${LOCAL_ENVIRONMENT.toUpperCase()}_ACCOUNT=${account}`,
    'unset AWS_PROFILE AWS_SESSION_TOKEN',
  ];
}

/** The commands the README's local session shows, runnable with those exports. */
export const OPERATOR_SESSION_COMMANDS: readonly string[] = [
  `npx plinth status --env ${LOCAL_ENVIRONMENT}`,
  `npx plinth models list --env ${LOCAL_ENVIRONMENT}`,
  `npx plinth models approve fraud-detector/1 --env ${LOCAL_ENVIRONMENT}`,
  `npx plinth models promote fraud-detector/1 --from ${LOCAL_ENVIRONMENT} --to staging --to-role arn:aws:iam::222222222222:role/PlinthPromotion`,
];

/** The block printed after a kept local deploy. */
export function formatOperatorSession(endpoint: string, region: string, account: string): string {
  return [
    '',
    `moto_server keeps running at ${endpoint} (dev deployed in account ${account}). In another terminal:`,
    '',
    ...operatorSessionExports(endpoint, region, account).map((l) => `  ${l}`),
    '',
    ...OPERATOR_SESSION_COMMANDS.map((c) => `  ${c}`),
    '',
    'The credentials are moto\'s dummy ones: they grant nothing anywhere else. Press Ctrl-C here to stop moto_server.',
    '',
  ].join('\n');
}
