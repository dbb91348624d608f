import { z } from 'zod';
import { dataLakeConfigSchema } from './data-lake';
import { featureStoreConfigSchema } from './feature-store';
import { featureSourceProblems } from '../lib/features/feature-group-definition';
import { driftFeatures, modelRegistryConfigSchema } from './model-registry';
import { servedFeatures, trainingSetColumns } from '../lib/features/sql';

/** Environment names Plinth knows. Adding one means adding its file in `config/`. */
export const ENVIRONMENT_NAMES = ['dev', 'staging', 'prod'] as const;
export type EnvironmentName = (typeof ENVIRONMENT_NAMES)[number];

const IPV4_CIDR = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}\/(\d|[12]\d|3[0-2])$/;

/** CloudWatch Logs accepts only these retention periods (days). */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

const tagValue = (what: string) =>
  z
    .string({ error: `set ${what} (a non-empty tag value)` })
    .min(1, `set ${what} (a non-empty tag value)`)
    .max(256, `${what} must be at most 256 characters (an AWS tag value limit)`)
    .regex(/^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u, `${what} may only contain letters, digits, spaces and _ . : / = + - @`);

export const environmentConfigSchema = z
  .object({
    name: z.enum(ENVIRONMENT_NAMES, { error: `name must be one of ${ENVIRONMENT_NAMES.join(', ')}` }),
    account: z
      .string({ error: 'set account to the 12-digit AWS account ID of this environment' })
      .regex(/^\d{12}$/, 'account must be a 12-digit AWS account ID, e.g. "123456789012"'),
    region: z
      .string({ error: 'set region, e.g. "us-east-1"' })
      .regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, 'region must be an AWS region code such as "us-east-1"'),
    network: z.object(
      {
        vpcCidr: z
          .string({ error: 'set network.vpcCidr, e.g. "10.10.0.0/16"' })
          .regex(IPV4_CIDR, 'network.vpcCidr must be an IPv4 CIDR such as "10.10.0.0/16"')
          .refine((cidr) => {
            const prefix = Number(cidr.split('/')[1]);
            return prefix >= 16 && prefix <= 24;
          }, 'network.vpcCidr prefix must be between /16 and /24 (the VPC limits), e.g. "10.10.0.0/16"'),
        availabilityZones: z
          .array(z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d[a-z]$/, 'each zone must look like "us-east-1a"'), {
            error: 'set network.availabilityZones, e.g. ["us-east-1a", "us-east-1b"] (synth never looks them up)',
          })
          .min(2, 'network.availabilityZones needs at least 2 zones so the platform survives an AZ outage')
          .max(6, 'network.availabilityZones may list at most 6 zones'),
        flowLogRetentionDays: z.number().optional(),
      },
      { error: 'set network: { vpcCidr }' },
    ),
    tags: z.object(
      {
        owner: tagValue('tags.owner'),
        costCenter: tagValue('tags.costCenter'),
        dataClassification: z.enum(['public', 'internal', 'confidential', 'restricted'], {
          error: 'tags.dataClassification must be one of public, internal, confidential, restricted',
        }),
      },
      { error: 'set tags: { owner, costCenter, dataClassification }' },
    ),
    logRetentionDays: z
      .number({ error: 'set logRetentionDays (days)' })
      .refine((d) => (LOG_RETENTION_DAYS as readonly number[]).includes(d), {
        message: `logRetentionDays must be one of CloudWatch's values: ${LOG_RETENTION_DAYS.join(', ')}`,
      }),
    removalPolicy: z.enum(['retain', 'destroy'], { error: 'removalPolicy must be "retain" or "destroy"' }),
    alarmEmail: z.email({ error: 'alarmEmail must be an e-mail address, e.g. "ml-oncall@example.com"' }),
    cost: z
      .object({
        monthlyBudgetUsd: z.number().positive('cost.monthlyBudgetUsd must be greater than 0'),
        alertThresholdsPercent: z
          .array(z.number().positive().max(1000, 'cost.alertThresholdsPercent values must be at most 1000'))
          .min(1, 'cost.alertThresholdsPercent needs at least one threshold, e.g. [50, 80, 100]'),
        anomalyThresholdUsd: z.number().positive('cost.anomalyThresholdUsd must be greater than 0'),
        /** Alarm when an endpoint variant has sat at its maxCapacity for this long (a multiple of 5). */
        atMaxCapacityAlarmMinutes: z
          .number()
          .int()
          .min(5, 'cost.atMaxCapacityAlarmMinutes must be at least 5')
          .max(24 * 60, 'cost.atMaxCapacityAlarmMinutes can be at most 1440 (one day)')
          .refine((m) => m % 5 === 0, 'cost.atMaxCapacityAlarmMinutes must be a multiple of 5 (the metric period)')
          .default(60),
      })
      .strict(),
    dataLake: dataLakeConfigSchema,
    featureStore: featureStoreConfigSchema,
    modelRegistry: modelRegistryConfigSchema,
    endpointInstanceLimits: z
      .object({
        minPerVariant: z
          .number()
          .int('endpointInstanceLimits.minPerVariant must be a whole number')
          .min(0, 'endpointInstanceLimits.minPerVariant cannot be negative'),
        maxPerVariant: z
          .number()
          .int('endpointInstanceLimits.maxPerVariant must be a whole number')
          .min(1, 'endpointInstanceLimits.maxPerVariant must be at least 1'),
      })
      .refine((l) => l.maxPerVariant >= l.minPerVariant, {
        path: ['maxPerVariant'],
        message: 'endpointInstanceLimits.maxPerVariant cannot be below minPerVariant; raise max or lower min',
      }),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    if (cfg.name === 'prod' && cfg.removalPolicy === 'destroy') {
      ctx.addIssue({
        code: 'custom',
        path: ['removalPolicy'],
        message: 'removalPolicy "destroy" is not allowed for prod: prod never deletes data; set it to "retain"',
      });
    }
    cfg.network.availabilityZones.forEach((zone, index) => {
      if (!zone.startsWith(cfg.region)) {
        ctx.addIssue({
          code: 'custom',
          path: ['network', 'availabilityZones', index],
          message: `zone "${zone}" is not in region ${cfg.region}; list zones of ${cfg.region} only`,
        });
      }
    });
    cfg.modelRegistry.models.forEach((model, index) => {
      const dataset = model.batchInference?.dataset;
      if (dataset !== undefined && !cfg.dataLake.datasets.some((d) => d.name === dataset)) {
        ctx.addIssue({
          code: 'custom',
          path: ['modelRegistry', 'models', index, 'batchInference', 'dataset'],
          message: `batchInference.dataset "${dataset}" is not a dataLake dataset (${cfg.dataLake.datasets.map((d) => d.name).join(', ')})`,
        });
      }
    });
    // Feature groups read the lake: their source dataset must be one of its datasets.
    const datasetNames = cfg.dataLake.datasets.map((d) => d.name);
    cfg.featureStore.featureGroups.forEach((group, index) => {
      if (group.source && !datasetNames.includes(group.source.dataset)) {
        for (const message of featureSourceProblems(group, datasetNames).filter((m) => m.includes('is not a dataset of the lake'))) {
          ctx.addIssue({ code: 'custom', path: ['featureStore', 'featureGroups', index, 'source', 'dataset'], message });
        }
      }
    });
    // The platform's training pipeline trains on its training set's columns, and the drift baseline is built from that
    // set's sample: a drift feature that is not one of its columns can never be baselined, so drift would never watch it
    // (every run would list it as unbaselined while DriftDetected reads OK).
    cfg.modelRegistry.models.forEach((model, index) => {
      const trainingSet = model.training?.trainingSet;
      if (!trainingSet) return;
      const path = ['modelRegistry', 'models', index, 'training', 'trainingSet', 'featureGroups'];
      const groups = trainingSet.featureGroups.map((name) => ({ name, group: cfg.featureStore.featureGroups.find((g) => g.name === name) }));
      const unknown = groups.filter((g) => !g.group).map((g) => g.name);
      if (unknown.length > 0) {
        ctx.addIssue({
          code: 'custom',
          path,
          message: `training.trainingSet.featureGroups ${unknown.map((n) => `"${n}"`).join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not in featureStore.featureGroups (${cfg.featureStore.featureGroups.map((g) => g.name).join(', ') || 'none'}); declare ${unknown.length === 1 ? 'it' : 'them'} or fix the name`,
        });
        return;
      }
      // Labels in the lake's own database (no labels.database): a dataset of the lake, with the three columns.
      const { labels } = trainingSet;
      if (labels.database === undefined) {
        const labelsPath = ['modelRegistry', 'models', index, 'training', 'trainingSet', 'labels'];
        const dataset = cfg.dataLake.datasets.find((d) => d.name === labels.table);
        if (!dataset) {
          ctx.addIssue({
            code: 'custom',
            path: [...labelsPath, 'table'],
            message:
              `training.trainingSet.labels.table "${labels.table}" is not a dataLake dataset (${cfg.dataLake.datasets.map((d) => d.name).join(', ')}): ` +
              'the training set would find no such table and every retraining would fail; declare the dataset, or set labels.database for a table outside the lake',
          });
        } else {
          const fields = new Map(dataset.fields.map((f) => [f.name, f.type]));
          for (const [key, column] of [['entityKeyColumn', labels.entityKeyColumn], ['eventTimeColumn', labels.eventTimeColumn], ['labelColumn', labels.labelColumn]] as const) {
            if (!fields.has(column)) {
              ctx.addIssue({ code: 'custom', path: [...labelsPath, key], message: `training.trainingSet.labels.${key} "${column}" is not a field of dataset ${dataset.name} (${[...fields.keys()].join(', ')})` });
            }
          }
          const timeType = fields.get(labels.eventTimeColumn);
          if (timeType !== undefined && timeType !== 'timestamp') {
            ctx.addIssue({ code: 'custom', path: [...labelsPath, 'eventTimeColumn'], message: `training.trainingSet.labels.eventTimeColumn "${labels.eventTimeColumn}" is a ${timeType} field of dataset ${dataset.name}; the training set reads it as an ISO-8601 time: make it a timestamp field` });
          }
          const labelType = fields.get(labels.labelColumn);
          if (labelType !== undefined && labelType !== 'integer' && labelType !== 'number') {
            ctx.addIssue({ code: 'custom', path: [...labelsPath, 'labelColumn'], message: `training.trainingSet.labels.labelColumn "${labels.labelColumn}" is a ${labelType} field of dataset ${dataset.name}; the evaluation step reads labels as numbers (classification: 1 and 0): make it an integer or number field` });
          }
        }
      }
      // What the model learns from, the gateway must send it: a trained feature it never gets is a missing value in
      // every prediction, which the endpoint answers without an error.
      if (model.gateway) {
        const online = model.gateway.onlineFeatures;
        const onlineGroup = online ? cfg.featureStore.featureGroups.find((g) => g.name === online.featureGroup) : undefined;
        const sent = new Set([...model.gateway.inputFeatures.map((f) => f.name), ...(online?.features ?? (onlineGroup ? servedFeatures(onlineGroup) : []))]);
        const unsent = groups.flatMap((g) => servedFeatures(g.group!)).filter((name) => !sent.has(name));
        if (unsent.length > 0) {
          ctx.addIssue({
            code: 'custom',
            path: ['modelRegistry', 'models', index, 'gateway'],
            message:
              `the model is trained on ${unsent.join(', ')} (training.trainingSet.featureGroups) but its gateway sends ${unsent.length === 1 ? 'it' : 'them'} neither as gateway.inputFeatures nor from gateway.onlineFeatures: ` +
              'every prediction would see a missing value where training saw data; serve the feature group online (gateway.onlineFeatures) or add the fields to inputFeatures',
          });
        }
      }
      if (!model.drift) return;
      const columns = new Set(trainingSetColumns({ labels, groups: groups.map((g) => g.group!) }));
      const outside = driftFeatures(model)
        .map((f) => f.name)
        .filter((name) => !columns.has(name));
      if (outside.length > 0) {
        ctx.addIssue({
          code: 'custom',
          path: ['modelRegistry', 'models', index, 'drift', 'features'],
          message:
            `drift.features ${outside.join(', ')} ${outside.length === 1 ? 'is' : 'are'} not ${outside.length === 1 ? 'a column' : 'columns'} of the model's training set ` +
            `(${[...columns].join(', ')}): the drift baseline is built from that set's sample, so no baseline can hold ${outside.length === 1 ? 'it' : 'them'} and drift would never watch ${outside.length === 1 ? 'it' : 'them'}. ` +
            `List only training-set columns in drift.features${model.drift.features ? '' : ' (the default is every gateway input feature)'}, or add the field to a feature group of training.trainingSet`,
        });
      }
    });
    // A gateway's online features name a feature group with an online store.
    cfg.modelRegistry.models.forEach((model, index) => {
      const online = model.gateway?.onlineFeatures;
      if (!online) return;
      const group = cfg.featureStore.featureGroups.find((g) => g.name === online.featureGroup);
      const path = ['modelRegistry', 'models', index, 'gateway', 'onlineFeatures', 'featureGroup'];
      if (!group) ctx.addIssue({ code: 'custom', path, message: `onlineFeatures.featureGroup "${online.featureGroup}" is not in featureStore.featureGroups; declare it or fix the name` });
      else if (!group.onlineStore) ctx.addIssue({ code: 'custom', path, message: `onlineFeatures.featureGroup "${online.featureGroup}" has no online store; set onlineStore: true` });
    });
    const retention = cfg.network.flowLogRetentionDays;
    if (retention !== undefined && !(LOG_RETENTION_DAYS as readonly number[]).includes(retention)) {
      ctx.addIssue({
        code: 'custom',
        path: ['network', 'flowLogRetentionDays'],
        message: `network.flowLogRetentionDays must be one of CloudWatch's values: ${LOG_RETENTION_DAYS.join(', ')}`,
      });
    }
  });

/** What a config file under `config/` declares. */
export type EnvironmentConfigInput = z.input<typeof environmentConfigSchema>;
/** A validated environment config, with defaults filled in. */
export type EnvironmentConfig = z.output<typeof environmentConfigSchema>;
