import type { DatasetSchema, FieldSchema } from '../../lambdas/ingest/dataset-schema';

const quote = (name: string) => `"${name}"`;

function literal(value: string | number | boolean): string {
  return typeof value === 'string' ? `"${value.replace(/"/g, '\\"')}"` : String(value);
}

function rulesForField(field: FieldSchema, recordIdField: string | undefined): string[] {
  const rules: string[] = [];
  const column = quote(field.name);
  const nullable = field.nullable ?? !field.required;
  // DQDL fails NULL rows for every ColumnValues/ColumnLength check, so a nullable field lets them pass.
  const allowingNull = (rule: string) => (nullable ? `(${rule}) OR (ColumnValues ${column} = NULL)` : rule);
  if (!nullable) rules.push(`IsComplete ${column}`);
  if (field.min !== undefined) rules.push(allowingNull(`ColumnValues ${column} >= ${field.min}`));
  if (field.max !== undefined) rules.push(allowingNull(`ColumnValues ${column} <= ${field.max}`));
  if (field.maxLength !== undefined) rules.push(allowingNull(`ColumnLength ${column} <= ${field.maxLength}`));
  if (field.enum !== undefined) {
    rules.push(`ColumnValues ${column} in [${[...field.enum.map(literal), ...(nullable ? ['NULL'] : [])].join(', ')}]`);
  }
  if (field.name === recordIdField) rules.push(`IsUnique ${column}`);
  return rules;
}

/**
 * Renders a dataset schema as a Glue Data Quality ruleset (DQDL), so a whole partition can be
 * validated in Glue with the same rules the ingest Lambda applies record by record.
 */
export function renderDqdlRuleset(schema: DatasetSchema): string {
  const rules = [
    'RowCount > 0',
    ...schema.fields.flatMap((field) => rulesForField(field, schema.recordIdField)),
  ];
  return `Rules = [\n  ${rules.join(',\n  ')}\n]`;
}
