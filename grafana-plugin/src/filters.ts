import ipaddr from 'ipaddr.js';

import { AuditFilter, FilterField, FilterOp } from './types';

export const FIELD_LABELS: Record<FilterField, string> = {
  actor: 'Actor',
  module: 'Module',
  action: 'Action',
  category: 'Category',
  severity: 'Severity',
  outcome: 'Outcome',
  ip: 'IP / CIDR',
  target: 'Target',
  tags: 'Tags',
  changed_field: 'Changed field',
  tenant: 'Tenant',
};

/** isIPOrCIDR accepts IPv4 and IPv6 addresses, optionally with a prefix length. */
export function isIPOrCIDR(s: string): boolean {
  const v = s.trim();
  if (v.includes('/')) {
    try {
      ipaddr.parseCIDR(v);
      return true;
    } catch {
      return false;
    }
  }
  // isValid accepts shorthands such as "10.1"; the backend parses strictly.
  return ipaddr.IPv4.isValidFourPartDecimal(v) || (v.includes(':') && ipaddr.IPv6.isValid(v));
}

/** validateFilterValue returns a message when value cannot be used for field. */
export function validateFilterValue(field: FilterField, value: string): string | undefined {
  if (value.trim() === '') {
    return 'Enter a value';
  }
  if (field === 'ip' && !isIPOrCIDR(value)) {
    return `"${value}" is not an IP address or CIDR range`;
  }
  return undefined;
}

/**
 * addFilterValue ORs value into the chip with the same field and operator,
 * or appends a new chip; a value already present is not repeated.
 */
export function addFilterValue(filters: AuditFilter[], field: FilterField, op: FilterOp, value: string): AuditFilter[] {
  const v = value.trim();
  const i = filters.findIndex((f) => f.field === field && f.op === op);
  if (i < 0) {
    return [...filters, { field, op, values: [v] }];
  }
  if (filters[i].values.includes(v)) {
    return filters;
  }
  return filters.map((f, j) => (j === i ? { ...f, values: [...f.values, v] } : f));
}

export function removeFilterValue(filters: AuditFilter[], index: number, value: string): AuditFilter[] {
  return filters
    .map((f, j) => (j === index ? { ...f, values: f.values.filter((v) => v !== value) } : f))
    .filter((f) => f.values.length > 0);
}

export function describeFilter(f: AuditFilter): string {
  return `${FIELD_LABELS[f.field] ?? f.field} ${f.op === 'eq' ? '=' : '≠'} ${f.values.join(' or ')}`;
}
