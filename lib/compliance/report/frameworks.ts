import type { ManualControl } from './model';

/** Where the procedures for controls outside the tooling are written down. */
const PROCEDURES = 'docs/compliance.md#controls-outside-the-tooling';

/** A framework of the control matrix and where its rules come from. */
export interface FrameworkDefinition {
  readonly id: string;
  readonly name: string;
  /** The nag pack whose rules name this framework's control ids in their descriptions. */
  readonly nagPack?: string;
  /** The framework's name in Control Tower metadata (`ComplianceFrameworkMappings`). */
  readonly controlTowerFramework?: string;
  /** Plinth's rules name NIST 800-53 R5 control ids. */
  readonly plinthRules?: boolean;
  /** Each rule of this source is its own control (AWS Solutions, Control Tower, Plinth). */
  readonly rulesAreControls?: 'AwsSolutions' | 'control-tower' | 'plinth';
  /**
   * Controls that need a process, not a template check. Listed as "not assessed by tooling"
   * unless some rule covers them.
   */
  readonly manualControls: readonly ManualControl[];
}

const manual = (id: string, title: string, section: string): ManualControl => ({ id, title, procedure: `${PROCEDURES} (${section})` });

export const FRAMEWORKS: readonly FrameworkDefinition[] = [
  {
    id: 'NIST.800.53.R5',
    name: 'NIST SP 800-53 Rev. 5',
    nagPack: 'NIST.800.53.R5',
    controlTowerFramework: 'NIST 800-53 Rev 5',
    plinthRules: true,
    manualControls: [
      manual('AT-2', 'Literacy training and awareness', 'people'),
      manual('PS-3', 'Personnel screening', 'people'),
      manual('IR-4', 'Incident handling', 'operations'),
      manual('CP-2', 'Contingency plan', 'operations'),
      manual('CM-3', 'Configuration change control', 'change'),
      manual('RA-3', 'Risk assessment', 'governance'),
      manual('PE-3', 'Physical access control', 'inherited'),
      manual('SA-11', 'Developer testing and evaluation', 'change'),
    ],
  },
  {
    id: 'HIPAA.Security',
    name: 'HIPAA Security Rule',
    nagPack: 'HIPAA.Security',
    manualControls: [
      manual('164.308(a)(1)(ii)(A)', 'Risk analysis', 'governance'),
      manual('164.308(a)(5)(i)', 'Security awareness and training', 'people'),
      manual('164.308(a)(6)(ii)', 'Response and reporting of security incidents', 'operations'),
      manual('164.308(a)(7)(i)', 'Contingency plan', 'operations'),
      manual('164.310(a)(1)', 'Facility access controls', 'inherited'),
      manual('164.316(b)(1)', 'Documentation of policies and procedures', 'governance'),
    ],
  },
  {
    id: 'PCI.DSS.321',
    name: 'PCI DSS 3.2.1',
    nagPack: 'PCI.DSS.321',
    controlTowerFramework: 'PCI DSS version 3.2.1',
    manualControls: [
      manual('6.4', 'Change control processes', 'change'),
      manual('9.1', 'Physical access to cardholder data', 'inherited'),
      manual('11.2', 'Quarterly vulnerability scans', 'operations'),
      manual('11.3', 'Penetration testing', 'operations'),
      manual('12.1', 'Information security policy', 'governance'),
      manual('12.6', 'Security awareness program', 'people'),
      manual('12.10', 'Incident response plan', 'operations'),
    ],
  },
  { id: 'AwsSolutions', name: 'AWS Solutions best practices', nagPack: 'AwsSolutions', rulesAreControls: 'AwsSolutions', manualControls: [] },
  { id: 'ControlTower', name: 'AWS Control Tower proactive controls', rulesAreControls: 'control-tower', manualControls: [] },
  { id: 'Plinth', name: 'Plinth ML controls', rulesAreControls: 'plinth', manualControls: [] },
];
