import { addFilterValue, isIPOrCIDR, removeFilterValue, validateFilterValue } from './filters';
import { AuditFilter } from './types';

describe('isIPOrCIDR', () => {
  it.each(['10.0.0.1', '10.0.0.0/8', '0.0.0.0/0', '2001:db8::1', '2001:db8::/32', '::1'])('accepts %s', (s) => {
    expect(isIPOrCIDR(s)).toBe(true);
  });
  it.each(['', '10.0.0', '256.1.1.1', '10.0.0.0/33', '2001:db8::/129', 'emp-1', '1.2.3.4/8/9', ':::'])('rejects %s', (s) => {
    expect(isIPOrCIDR(s)).toBe(false);
  });
});

describe('filter editing', () => {
  it('ORs values of the same field and operator into one chip', () => {
    let f: AuditFilter[] = [];
    f = addFilterValue(f, 'actor', 'eq', 'emp-1');
    f = addFilterValue(f, 'actor', 'eq', ' emp-2 ');
    f = addFilterValue(f, 'actor', 'neq', 'emp-3');
    f = addFilterValue(f, 'actor', 'eq', 'emp-1');
    expect(f).toEqual([
      { field: 'actor', op: 'eq', values: ['emp-1', 'emp-2'] },
      { field: 'actor', op: 'neq', values: ['emp-3'] },
    ]);
  });

  it('drops a chip when its last value is removed', () => {
    const f: AuditFilter[] = [
      { field: 'module', op: 'eq', values: ['bonus'] },
      { field: 'ip', op: 'eq', values: ['10.0.0.0/8', '192.0.2.1'] },
    ];
    expect(removeFilterValue(f, 0, 'bonus')).toEqual([{ field: 'ip', op: 'eq', values: ['10.0.0.0/8', '192.0.2.1'] }]);
    expect(removeFilterValue(f, 1, '192.0.2.1')[1].values).toEqual(['10.0.0.0/8']);
  });

  it('rejects a non-IP for the ip field only', () => {
    expect(validateFilterValue('ip', 'emp-1')).toMatch(/not an IP/);
    expect(validateFilterValue('actor', 'emp-1')).toBeUndefined();
    expect(validateFilterValue('actor', '  ')).toBe('Enter a value');
  });
});
