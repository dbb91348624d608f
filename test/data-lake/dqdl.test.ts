import { renderDqdlRuleset } from '../../lib/data-lake/dqdl';

describe('renderDqdlRuleset', () => {
  test('turns every schema constraint into a Glue Data Quality rule', () => {
    // GIVEN
    const schema = {
      name: 'orders',
      version: 2,
      format: 'jsonl' as const,
      recordIdField: 'order_id',
      fields: [
        { name: 'order_id', type: 'string' as const, required: true, nullable: false, maxLength: 36 },
        { name: 'amount', type: 'number' as const, required: true, min: 0, max: 500 },
        { name: 'status', type: 'string' as const, enum: ['new', 'paid "ok"'] },
        { name: 'note', type: 'string' as const },
      ],
    };
    // WHEN
    const ruleset = renderDqdlRuleset(schema);
    // THEN
    expect(ruleset).toBe(
      [
        'Rules = [',
        '  RowCount > 0,',
        '  IsComplete "order_id",',
        '  ColumnLength "order_id" <= 36,',
        '  IsUnique "order_id",',
        '  IsComplete "amount",',
        '  ColumnValues "amount" >= 0,',
        '  ColumnValues "amount" <= 500,',
        '  ColumnValues "status" in ["new", "paid \\"ok\\"", NULL]',
        ']',
      ].join('\n'),
    );
  });

  test('a nullable field is not required to be complete, and its NULLs pass its value checks', () => {
    const ruleset = renderDqdlRuleset({
      name: 'x',
      version: 1,
      format: 'csv',
      fields: [{ name: 'a', type: 'integer', required: true, nullable: true, min: 1 }],
    });
    expect(ruleset).not.toContain('IsComplete');
    expect(ruleset).toContain('(ColumnValues "a" >= 1) OR (ColumnValues "a" = NULL)');
  });
});
