/** One row of the side-by-side change view. */
export interface DiffRow {
  key: string;
  old?: string;
  new?: string;
  changed: boolean;
}

export interface ValueDiff {
  /** structured: both values were JSON objects and rows hold one key each. */
  structured: boolean;
  rows: DiffRow[];
}

/**
 * diffValues lines up an event's old and new values. When both are JSON
 * objects each top-level key gets a row; a row is marked changed when its
 * values differ or the event lists the key among its changed fields (a
 * masked value can hide a real change). Other values make one row.
 */
export function diffValues(oldValue = '', newValue = '', changeFields: string[] = []): ValueDiff {
  const o = parseObject(oldValue);
  const n = parseObject(newValue);
  if ((o || oldValue === '') && (n || newValue === '') && (o || n)) {
    const before = o ?? {};
    const after = n ?? {};
    const keys = Array.from(new Set([...Object.keys(before), ...Object.keys(after)])).sort();
    const rows = keys.map((key) => {
      const a = render(before[key]);
      const b = render(after[key]);
      return { key, old: a, new: b, changed: a !== b || changeFields.includes(key) };
    });
    return { structured: true, rows };
  }
  if (oldValue === '' && newValue === '') {
    return { structured: false, rows: [] };
  }
  return { structured: false, rows: [{ key: 'value', old: oldValue, new: newValue, changed: oldValue !== newValue }] };
}

function parseObject(s: string): Record<string, unknown> | undefined {
  if (!s.trim().startsWith('{')) {
    return undefined;
  }
  try {
    const v = JSON.parse(s);
    return v && typeof v === 'object' && !Array.isArray(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

function render(v: unknown): string | undefined {
  if (v === undefined) {
    return undefined;
  }
  return typeof v === 'string' ? v : JSON.stringify(v);
}
