import { diffValues } from './diff';

describe('diffValues', () => {
  it('lines up JSON objects key by key and marks what changed', () => {
    const d = diffValues('{"a":1,"b":"x"}', '{"a":2,"b":"x","c":true}');
    expect(d.structured).toBe(true);
    expect(d.rows).toEqual([
      { key: 'a', old: '1', new: '2', changed: true },
      { key: 'b', old: 'x', new: 'x', changed: false },
      { key: 'c', old: undefined, new: 'true', changed: true },
    ]);
  });

  it('marks a listed changed field even when masking made both sides equal', () => {
    const d = diffValues('{"iban":"***"}', '{"iban":"***"}', ['iban']);
    expect(d.rows[0].changed).toBe(true);
  });

  it('treats a created object (no old value) as all new', () => {
    const d = diffValues('', '{"limit":5}');
    expect(d.rows).toEqual([{ key: 'limit', old: undefined, new: '5', changed: true }]);
  });

  it('shows plain text values as one row', () => {
    expect(diffValues('n/a', 'profile updated')).toEqual({
      structured: false,
      rows: [{ key: 'value', old: 'n/a', new: 'profile updated', changed: true }],
    });
  });

  it('has no rows without values', () => {
    expect(diffValues('', '').rows).toHaveLength(0);
  });
});
