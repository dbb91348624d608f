import { Stack, Stage, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { PlinthError } from '../errors';

/** The validation plugins whose findings Plinth acknowledges, by the name each reports under. */
export const NAG_PACKS = ['AwsSolutions', 'NIST.800.53.R5', 'HIPAA.Security', 'PCI.DSS.321'] as const;
export type NagPackName = (typeof NAG_PACKS)[number];
export const CLOUDFORMATION_VALIDATOR = 'CloudFormation Validate';

/**
 * Plinth's own documented warnings (docs/compliance.md): the only annotation findings an
 * acknowledgement may silence. Every other annotation, and every rule of another plugin, is
 * acknowledged under its own plugin's name.
 */
export const ACKNOWLEDGEABLE_ANNOTATIONS: readonly string[] = [
  'plinth:bucket-destroy-opt-in',
  'plinth:data-capture-off',
  'plinth:data-capture-unsupported',
  'plinth:removal-policy-reverted',
];
/** The longest an acknowledgement may hold, counted from the synth. */
export const MAX_ACKNOWLEDGEMENT_MONTHS = 12;

/** Metadata key under which each acknowledgement is recorded for the compliance report. */
export const ACKNOWLEDGEMENT_METADATA_KEY = 'plinth:acknowledgement';

/** One acknowledged finding: who accepted it, why, and until when. */
export interface FindingAcknowledgement {
  /**
   * The rule, optionally narrowed to one finding: `AwsSolutions-IAM5[Resource::*]`,
   * `NIST.800.53.R5-S3BucketReplicationEnabled`. A nag rule's pack is read from its prefix.
   */
  readonly rule: string;
  /**
   * The plugin that reports the rule. Required only for rules outside the nag packs
   * (the CloudFormation validator's).
   *
   * @default - the nag pack named by the rule's prefix
   */
  readonly plugin?: string;
  /** Why the finding is acceptable here. At least 20 characters: say what compensates for it. */
  readonly reason: string;
  /** Who answers for the acknowledgement: a team or role, e.g. `ml-platform`. */
  readonly owner: string;
  /** The last day (UTC, `YYYY-MM-DD`) on which the acknowledgement holds. Synth fails after it. */
  readonly expires: string;
  /**
   * Scoped to the construct: the finding arises only in some compositions (a warning that depends
   * on the stack's environment, a rule that depends on what else the app adds). Plinth's reusable
   * constructs set it so a consumer's gate never reports their unmatched acknowledgements as stale;
   * the consumer cannot remove them anyway.
   *
   * @default false - an acknowledgement that matches no finding is reported as stale
   */
  readonly ifPresent?: boolean;
}

/** What the report reads back from construct metadata. */
export interface RecordedAcknowledgement extends FindingAcknowledgement {
  /** The namespaced id written to CDK's validation engine, `Pack::Rule[finding]`. */
  readonly id: string;
  readonly path: string;
}

/** An acknowledgement that is incomplete or out of date. */
export class AcknowledgementError extends PlinthError {}

const ISO_DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Packs whose rule ids start with the pack name: the nag packs and Plinth's own rules. */
const PREFIXED_PACKS: readonly string[] = [...NAG_PACKS, 'Plinth'];

function pluginFor(rule: string, plugin: string | undefined, where: string): string {
  if (plugin !== undefined) return plugin;
  const pack = PREFIXED_PACKS.find((name) => rule.startsWith(`${name}-`));
  if (pack === undefined) {
    throw new AcknowledgementError(
      `${where}: cannot tell which plugin reports "${rule}"; start the rule with one of ` +
        `${PREFIXED_PACKS.map((p) => `${p}-`).join(', ')} or pass plugin (e.g. "${CLOUDFORMATION_VALIDATOR}", "cdk-validator-cfnguard")`,
    );
  }
  return pack;
}

function assertCalendarDay(expires: string, where: string): void {
  const match = ISO_DAY.exec(expires ?? '');
  const day = match ? new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]))) : undefined;
  if (!match || !day || day.toISOString().slice(0, 10) !== expires) {
    throw new AcknowledgementError(`${where}: expires must be a real date as YYYY-MM-DD, got "${expires}"`);
  }
}

/**
 * Acknowledges one compliance finding on `scope` and everything below it.
 *
 * This is the only way Plinth suppresses a finding. It writes the namespaced id
 * (`Pack::Rule[finding]`), so the finding stays in `cdk.out/validation-report.json`
 * as acknowledged, with its reason, owner and expiry, instead of vanishing.
 *
 * @throws AcknowledgementError when the reason, owner or expiry is missing, or the expiry has passed
 */
export function acknowledgeFinding(scope: IConstruct, ack: FindingAcknowledgement, today: Date = new Date()): void {
  const where = `Acknowledgement of ${ack.rule ?? '(no rule)'} at ${scope.node.path || '(app)'}`;
  if (!ack.rule || !/^[^\s]+$/.test(ack.rule)) {
    throw new AcknowledgementError(`${where}: rule is required, e.g. "AwsSolutions-IAM5[Resource::*]"`);
  }
  if (!ack.reason || ack.reason.trim().length < 20) {
    throw new AcknowledgementError(
      `${where}: reason is required (at least 20 characters) and must say why the finding is acceptable`,
    );
  }
  if (!ack.owner || ack.owner.trim().length === 0) {
    throw new AcknowledgementError(`${where}: owner is required (the team or role that answers for it)`);
  }
  assertCalendarDay(ack.expires, where);
  const todayUtc = today.toISOString().slice(0, 10);
  if (ack.expires < todayUtc) {
    throw new AcknowledgementError(
      `${where}: expired on ${ack.expires}; fix the finding, or renew the acknowledgement with a new expiry ` +
        `approved by its owner (${ack.owner})`,
    );
  }
  const latest = latestExpiry(today);
  if (ack.expires > latest) {
    throw new AcknowledgementError(
      `${where}: expires ${ack.expires}, more than ${MAX_ACKNOWLEDGEMENT_MONTHS} months after today; set expires to ${latest} or earlier (renewing is a new review)`,
    );
  }
  if (Stage.isStage(scope) || scope.node.scope === undefined) {
    throw new AcknowledgementError(
      `${where}: an App or a Stage cannot carry an acknowledgement, it would hide the rule in every stack below it; acknowledge on the resource (or the construct that owns it)`,
    );
  }
  const plugin = pluginFor(ack.rule, ack.plugin, where);
  if (/^(annotation|construct annotations)$/i.test(plugin.trim()) && !ACKNOWLEDGEABLE_ANNOTATIONS.includes(ack.rule)) {
    throw new AcknowledgementError(
      `${where}: annotation findings cannot be acknowledged, except Plinth's documented warnings (${ACKNOWLEDGEABLE_ANNOTATIONS.join(', ')}); fix what the annotation says`,
    );
  }
  const id = `${plugin.replace(/ /g, '-')}::${ack.rule}`;
  Validations.of(scope).acknowledge({
    id,
    reason: `${ack.reason.trim()} [owner: ${ack.owner.trim()}; expires: ${ack.expires}]`,
  });
  const recorded: Omit<RecordedAcknowledgement, 'path'> = { ...ack, plugin, id };
  scope.node.addMetadata(ACKNOWLEDGEMENT_METADATA_KEY, recorded);
}

/** The last day an acknowledgement made on `today` may hold: twelve calendar months later (clamped to the month's end). */
export function latestExpiry(today: Date): string {
  const y = today.getUTCFullYear();
  const m = today.getUTCMonth() + MAX_ACKNOWLEDGEMENT_MONTHS;
  const lastDay = new Date(Date.UTC(y, m + 1, 0)).getUTCDate();
  return new Date(Date.UTC(y, m, Math.min(today.getUTCDate(), lastDay))).toISOString().slice(0, 10);
}

/** Acknowledges several findings on one scope. */
export function acknowledgeFindings(
  scope: IConstruct,
  acks: readonly FindingAcknowledgement[],
  today: Date = new Date(),
): void {
  for (const ack of acks) acknowledgeFinding(scope, ack, today);
}

/** Every acknowledgement recorded under `root`, for the closing note and the compliance report. */
export function collectAcknowledgements(root: IConstruct): RecordedAcknowledgement[] {
  const found: RecordedAcknowledgement[] = [];
  for (const node of root.node.findAll()) {
    for (const entry of node.node.metadata) {
      if (entry.type === ACKNOWLEDGEMENT_METADATA_KEY) {
        found.push({ ...(entry.data as Omit<RecordedAcknowledgement, 'path'>), path: node.node.path });
      }
    }
  }
  return found;
}

/** Renders a resolved CloudFormation value the way cdk-nag names it in a finding id. */
function flattenForFinding(node: unknown): string {
  if (node === undefined) return '';
  if (typeof node === 'string') return node.replace(/\$\{/g, '<').replace(/\}/g, '>');
  const value = node as Record<string, any>;
  if (value['Fn::Join']) return (value['Fn::Join'][1] as unknown[]).map(flattenForFinding).join(value['Fn::Join'][0]);
  if (value['Fn::Sub']) return flattenForFinding(value['Fn::Sub']);
  if (value['Fn::GetAtt']) return `<${flattenForFinding(value['Fn::GetAtt'][0])}.${flattenForFinding(value['Fn::GetAtt'][1])}>`;
  if (value['Fn::ImportValue']) return flattenForFinding(value['Fn::ImportValue']);
  if (value.Ref) return `<${flattenForFinding(value.Ref)}>`;
  return JSON.stringify(node);
}

/**
 * The id AwsSolutions-IAM5 gives a wildcard resource, e.g. `<DataLakeRawA452C0AC.Arn>/*`, so an
 * acknowledgement names exactly that finding and no other.
 *
 * @param resource the resource as written in the policy statement (tokens allowed)
 */
export function wildcardResourceFinding(scope: IConstruct, resource: string): string {
  return `AwsSolutions-IAM5[Resource::${flattenForFinding(Stack.of(scope).resolve(resource))}]`;
}
