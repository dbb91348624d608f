import {
  DescribeEndpointCommand,
  DescribeEndpointConfigCommand,
  DescribeModelCommand,
  DescribeModelPackageCommand,
  ListModelPackagesCommand,
  ListTagsCommand,
  SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { mockClient } from 'aws-sdk-client-mock';
import { handler } from '../../../lambdas/find-champion/index';
import { startCapture } from '../../support/lambda-output';
import { expectGoldenCovered, expectMatchesGolden } from '../../support/runtime-golden';

/**
 * The training pipeline's champion (lambdas/find-champion): the package the endpoint serves, by
 * the variant with the largest current weight (ties: the most recently approved package), else the
 * latest Approved package, always saying which and why.
 */
const PREFIX = 'arn:aws:sagemaker:us-east-1:123456789012:model-package/fraud-detector/';
const pkg = (version: number) => `${PREFIX}${version}`;
const ENDPOINT = 'fraud-detector-dev';

const sagemaker = mockClient(SageMakerClient);

/** The endpoint serves `variants` (name → current weight, model, the package its tag names or none). */
function serving(variants: Array<{ name: string; weight: number; initialWeight?: number; model: string; tag?: string }>): void {
  sagemaker.on(DescribeEndpointCommand).resolves({
    EndpointName: ENDPOINT,
    EndpointStatus: 'InService',
    EndpointConfigName: 'cfg-current',
    ProductionVariants: variants.map((v) => ({ VariantName: v.name, CurrentWeight: v.weight, DesiredWeight: v.weight })),
  } as never);
  sagemaker.on(DescribeEndpointConfigCommand, { EndpointConfigName: 'cfg-current' }).resolves({
    ProductionVariants: variants.map((v) => ({ VariantName: v.name, ModelName: v.model, InitialVariantWeight: v.initialWeight ?? 1 })),
  } as never);
  sagemaker.on(DescribeModelCommand).callsFake((input: { ModelName: string }) => ({ ModelName: input.ModelName, ModelArn: `arn:aws:sagemaker:us-east-1:123456789012:model/${input.ModelName}` }));
  const tags = Object.fromEntries(variants.map((v) => [v.model, v.tag]));
  sagemaker.on(ListTagsCommand).callsFake((input: { ResourceArn: string }) => {
    const tag = tags[input.ResourceArn.split('/').pop()!];
    return { Tags: [{ Key: 'owner', Value: 'fraud' }, ...(tag ? [{ Key: 'plinth:model-package', Value: tag }] : [])] };
  });
}

/** Packages: version → approval status and last modification (approval) time. */
function packages(meta: Record<number, { status?: string; modified?: string }> = {}): void {
  sagemaker.on(DescribeModelPackageCommand).callsFake((input: { ModelPackageName: string }) => {
    const version = Number(input.ModelPackageName.split('/').pop());
    const m = meta[version] ?? {};
    return {
      ModelPackageArn: input.ModelPackageName,
      ModelPackageVersion: version,
      ModelApprovalStatus: m.status ?? 'Approved',
      CreationTime: new Date('2026-11-01T00:00:00Z'),
      LastModifiedTime: new Date(m.modified ?? '2026-11-02T00:00:00Z'),
      InferenceSpecification: { Containers: [{ Image: 'img', ModelDataUrl: `s3://artifacts/models/fraud-detector/v${version}/model.tar.gz` }] },
    };
  });
}

/** The group's latest Approved package (what the old FindChampion state chose). */
function latestApproved(version: number | undefined): void {
  sagemaker.on(ListModelPackagesCommand).resolves({ ModelPackageSummaryList: version === undefined ? [] : [{ ModelPackageArn: pkg(version) }] } as never);
}

describe('find-champion', () => {
  let capture: ReturnType<typeof startCapture>;
  beforeEach(() => {
    sagemaker.reset();
    capture = startCapture();
    process.env.MODEL_PACKAGE_GROUP = 'fraud-detector';
    process.env.PACKAGE_ARN_PREFIX = PREFIX;
    process.env.ENDPOINT_NAME = ENDPOINT;
    packages();
  });
  afterEach(() => {
    capture.stop();
    // every line and metric keeps the fields and signature dashboards and log queries rely on
    expectMatchesGolden('plinth-find-champion', capture.lines);
  });
  afterAll(() => expectGoldenCovered('plinth-find-champion'));

  const logs = () => capture.lines.map((l) => JSON.parse(l));
  const emf = () => logs().filter((o) => o._aws);

  it('one variant: the package it serves, not the newer Approved one whose canary rolled back', async () => {
    // GIVEN v3 is Approved (latest) but the endpoint still serves v2
    latestApproved(3);
    serving([{ name: 'primary', weight: 1, model: 'fraud-detector-dev-primary-v2', tag: pkg(2) }]);
    // WHEN
    const out = await handler({ execution: 'x' });
    // THEN the champion is v2, its artifact is what Evaluate scores, and the source says "served"
    expect(out).toEqual({
      championArn: pkg(2),
      championUri: 's3://artifacts/models/fraud-detector/v2/model.tar.gz',
      championSource: 'served',
      championReason: `served by primary of ${ENDPOINT} (weight 1 of 1)`,
    });
    expect(sagemaker.commandCalls(ListModelPackagesCommand)).toHaveLength(0);
    expect(emf()).toEqual([expect.objectContaining({ Model: 'fraud-detector', ChampionFallback: 0, championSource: 'served' })]);
  });

  it('an A/B test with unequal weights: the package of the variant with the largest CURRENT weight', async () => {
    // GIVEN the config started 50/50 but the weights are now 0.2 (primary) / 0.8 (challenger)
    latestApproved(3);
    serving([
      { name: 'primary', weight: 0.2, initialWeight: 0.5, model: 'm-primary-v1', tag: pkg(1) },
      { name: 'challenger', weight: 0.8, initialWeight: 0.5, model: 'm-challenger-v2', tag: pkg(2) },
    ]);
    const out = await handler({});
    expect(out).toMatchObject({ championArn: pkg(2), championSource: 'served', championReason: `served by challenger of ${ENDPOINT} (weight 0.8 of 1)` });
    // AND the lighter variant's model was not even looked up
    expect(sagemaker.commandCalls(DescribeModelCommand).map((c) => c.args[0].input.ModelName)).toEqual(['m-challenger-v2']);
  });

  it('equal weights, different packages: the most recently approved of them; a package no longer Approved comes last', async () => {
    // GIVEN three variants at weight 1: v1 approved on 11-03, v2 approved on 11-05, v4 modified last but Rejected
    latestApproved(5);
    packages({ 1: { modified: '2026-11-03T00:00:00Z' }, 2: { modified: '2026-11-05T00:00:00Z' }, 4: { status: 'Rejected', modified: '2026-11-09T00:00:00Z' } });
    serving([
      { name: 'a', weight: 1, model: 'm-a', tag: pkg(1) },
      { name: 'b', weight: 1, model: 'm-b', tag: pkg(2) },
      { name: 'c', weight: 1, model: 'm-c', tag: pkg(4) },
    ]);
    const out = await handler({});
    expect(out).toMatchObject({ championArn: pkg(2), championSource: 'served' });
    expect(out.championReason).toBe(`served by b of ${ENDPOINT} (weight 1 of 3, tied with 2 other package(s): the most recently approved)`);
  });

  it('equal weights, same approval time: the higher version; one package on two variants counts once', async () => {
    latestApproved(5);
    serving([
      { name: 'a', weight: 0.5, model: 'm-a', tag: pkg(7) },
      { name: 'b', weight: 0.5, model: 'm-b', tag: pkg(6) },
      { name: 'c', weight: 0.5, model: 'm-c', tag: pkg(7) },
    ]);
    const out = await handler({});
    expect(out).toMatchObject({ championArn: pkg(7), championReason: `served by a, c of ${ENDPOINT} (weight 0.5 of 1.5, tied with 1 other package(s): the most recently approved)` });
  });

  it('the endpoint does not exist yet: the latest Approved package, and the answer says so (log, metric)', async () => {
    latestApproved(3);
    sagemaker.on(DescribeEndpointCommand).rejects(Object.assign(new Error(`Could not find endpoint "${ENDPOINT}".`), { name: 'ValidationException' }));
    const out = await handler({});
    expect(out).toEqual({
      championArn: pkg(3),
      championUri: 's3://artifacts/models/fraud-detector/v3/model.tar.gz',
      championSource: 'latest-approved',
      championReason: `latest Approved package, because endpoint ${ENDPOINT} does not exist (yet)`,
    });
    expect(sagemaker.commandCalls(ListModelPackagesCommand)[0].args[0].input).toEqual({
      ModelPackageGroupName: 'fraud-detector',
      ModelApprovalStatus: 'Approved',
      SortBy: 'CreationTime',
      SortOrder: 'Descending',
      MaxResults: 1,
    });
    const warn = logs().find((l) => l.msg === 'champion is not the served model: fallback');
    expect(warn).toMatchObject({ level: 'warn', championSource: 'latest-approved' });
    expect(emf()).toEqual([expect.objectContaining({ Model: 'fraud-detector', ChampionFallback: 1, championSource: 'latest-approved' })]);
  });

  it('the served model carries no plinth:model-package tag: the latest Approved package, with the reason', async () => {
    latestApproved(3);
    serving([{ name: 'primary', weight: 1, model: 'hand-made' }]);
    const out = await handler({});
    expect(out).toMatchObject({
      championArn: pkg(3),
      championSource: 'latest-approved',
      championReason: `latest Approved package, because the served package of endpoint ${ENDPOINT} is unknown (weight 1: primary); not considered: model hand-made of primary has no plinth:model-package tag`,
    });
  });

  it('a tie between a tagged and an untagged model: the tagged one, and the reason names the other', async () => {
    latestApproved(3);
    serving([
      { name: 'primary', weight: 1, model: 'm-primary-v2', tag: pkg(2) },
      { name: 'manual', weight: 1, model: 'hand-made' },
    ]);
    const out = await handler({});
    expect(out).toMatchObject({ championArn: pkg(2), championSource: 'served' });
    expect(out.championReason).toContain('not considered: model hand-made of manual has no plinth:model-package tag');
  });

  it('a tag naming a package of another group is not trusted: fallback, with the reason', async () => {
    latestApproved(3);
    serving([{ name: 'primary', weight: 1, model: 'm', tag: 'arn:aws:sagemaker:us-east-1:123456789012:model-package/other-model/9' }]);
    const out = await handler({});
    expect(out).toMatchObject({ championArn: pkg(3), championSource: 'latest-approved' });
    expect(out.championReason).toContain('not considered: primary serves a package outside group fraud-detector');
    expect(sagemaker.commandCalls(DescribeModelPackageCommand).map((c) => c.args[0].input.ModelPackageName)).toEqual([pkg(3)]);
  });

  it('an endpoint still being created serves nothing: fallback', async () => {
    latestApproved(3);
    serving([{ name: 'primary', weight: 1, model: 'm', tag: pkg(2) }]);
    sagemaker.on(DescribeEndpointCommand).resolves({ EndpointName: ENDPOINT, EndpointStatus: 'Creating', EndpointConfigName: 'cfg-current' } as never);
    await expect(handler({})).resolves.toMatchObject({ championSource: 'latest-approved', championReason: `latest Approved package, because endpoint ${ENDPOINT} is Creating: it serves no model` });
  });

  it('a model without an endpoint: the latest Approved package, without asking SageMaker about endpoints', async () => {
    delete process.env.ENDPOINT_NAME;
    latestApproved(3);
    await expect(handler({})).resolves.toMatchObject({ championArn: pkg(3), championSource: 'latest-approved', championReason: 'latest Approved package, because the model has no endpoint' });
    expect(sagemaker.commandCalls(DescribeEndpointCommand)).toHaveLength(0);
  });

  it('no served package and no Approved package: "none", which the bridge turns into the no-champion marker', async () => {
    latestApproved(undefined);
    sagemaker.on(DescribeEndpointCommand).rejects(Object.assign(new Error('Could not find endpoint'), { name: 'ValidationException' }));
    await expect(handler({})).resolves.toEqual({
      championArn: 'none',
      championUri: '',
      championSource: 'none',
      championReason: `endpoint ${ENDPOINT} does not exist (yet); and group fraud-detector has no Approved package`,
    });
  });

  it('an AWS error other than a missing endpoint fails the lookup (the bridge retries), never a silent fallback', async () => {
    latestApproved(3);
    sagemaker.on(DescribeEndpointCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    await expect(handler({})).rejects.toThrow('Rate exceeded');
    sagemaker.on(DescribeEndpointCommand).rejects(Object.assign(new Error('not authorized to perform sagemaker:DescribeEndpoint'), { name: 'AccessDeniedException' }));
    await expect(handler({})).rejects.toThrow('not authorized');
    expect(sagemaker.commandCalls(ListModelPackagesCommand)).toHaveLength(0);
  });

  it('a champion without a model artifact URL fails with the reason (Evaluate could not score it)', async () => {
    serving([{ name: 'primary', weight: 1, model: 'm', tag: pkg(2) }]);
    sagemaker.on(DescribeModelPackageCommand).resolves({ InferenceSpecification: { Containers: [{ Image: 'img' }] } } as never);
    await expect(handler({})).rejects.toThrow(`champion ${pkg(2)} has no ModelDataUrl`);
  });

  it('refuses a misconfigured environment', async () => {
    process.env.PACKAGE_ARN_PREFIX = 'fraud-detector';
    await expect(handler({})).rejects.toThrow('PACKAGE_ARN_PREFIX must be');
  });
});
