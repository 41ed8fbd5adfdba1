import React, { KeyboardEvent, useEffect, useId, useRef, useState } from 'react';
import { css, cx } from '@emotion/css';
import { GrafanaTheme2, SelectableValue, TimeRange } from '@grafana/data';
import { Button, IconButton, Input, Select, useStyles2 } from '@grafana/ui';

import { addFilterValue, describeFilter, FIELD_LABELS, removeFilterValue, validateFilterValue } from '../filters';
import { AuditFilter, FieldValue, FILTER_FIELDS, FilterField, FilterOp } from '../types';

export interface FieldValueSource {
  getFieldValues(field: FilterField, prefix: string, range?: TimeRange): Promise<FieldValue[]>;
}

interface Props {
  filters: AuditFilter[];
  onChange: (filters: AuditFilter[]) => void;
  source: FieldValueSource;
  range?: TimeRange;
}

const FIELD_OPTIONS: Array<SelectableValue<FilterField>> = FILTER_FIELDS.map((f) => ({ label: FIELD_LABELS[f], value: f }));
const MAX_SUGGESTIONS = 10;
const SUGGEST_DELAY_MS = 150;

/**
 * FilterChips edits the query's filters as chips. Picking a field, typing a
 * value and pressing Enter adds it (values of one field and operator are
 * ORed); suggestions come from the backend and are chosen with the arrow
 * keys; Backspace in an empty value box removes the last value.
 */
export function FilterChips({ filters, onChange, source, range }: Props) {
  const styles = useStyles2(getStyles);
  const [field, setField] = useState<FilterField>('actor');
  const [op, setOp] = useState<FilterOp>('eq');
  const [text, setText] = useState('');
  const [error, setError] = useState<string>();
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(-1);
  const suggestions = useSuggestions(source, field, text, open, range);
  const listId = useId();

  const add = (value: string) => {
    const problem = validateFilterValue(field, value);
    if (problem) {
      setError(problem);
      return;
    }
    onChange(addFilterValue(filters, field, op, value));
    setText('');
    setError(undefined);
    setActive(-1);
  };

  const onKeyDown = (e: KeyboardEvent<HTMLInputElement>) => {
    switch (e.key) {
      case 'ArrowDown':
        e.preventDefault();
        setOpen(true);
        setActive((i) => Math.min(i + 1, suggestions.length - 1));
        break;
      case 'ArrowUp':
        e.preventDefault();
        setActive((i) => Math.max(i - 1, -1));
        break;
      case 'Enter':
        e.preventDefault();
        add(open && active >= 0 && suggestions[active] ? suggestions[active].value : text);
        break;
      case 'Escape':
        setOpen(false);
        setActive(-1);
        break;
      case 'Backspace':
        if (text === '' && filters.length > 0) {
          const last = filters.length - 1;
          const values = filters[last].values;
          onChange(removeFilterValue(filters, last, values[values.length - 1]));
        }
        break;
    }
  };

  const showList = open && suggestions.length > 0;
  return (
    <div className={styles.wrap}>
      <ul className={styles.chips} aria-label="Filters">
        {filters.map((f, i) => (
          <li key={`${f.field}-${f.op}`} className={styles.chip} aria-label={describeFilter(f)}>
            <span className={styles.chipField}>{FIELD_LABELS[f.field] ?? f.field}</span>
            <button
              type="button"
              className={styles.op}
              aria-label={`Operator of ${FIELD_LABELS[f.field]}: ${f.op === 'eq' ? 'is' : 'is not'}; press to toggle`}
              onClick={() => onChange(filters.map((g, j) => (j === i ? { ...g, op: g.op === 'eq' ? 'neq' : 'eq' } : g)))}
            >
              {f.op === 'eq' ? '=' : '≠'}
            </button>
            {f.values.map((v) => (
              <span key={v} className={styles.value}>
                {v}
                <IconButton
                  name="times"
                  size="sm"
                  aria-label={`Remove ${FIELD_LABELS[f.field]} ${v}`}
                  onClick={() => onChange(removeFilterValue(filters, i, v))}
                />
              </span>
            ))}
          </li>
        ))}
      </ul>
      <div className={styles.editor}>
        <Select
          inputId="filter-field"
          aria-label="Filter field"
          width={18}
          options={FIELD_OPTIONS}
          value={field}
          onChange={(v) => {
            if (v.value) {
              setField(v.value);
              setError(undefined);
            }
          }}
        />
        <Button
          variant="secondary"
          aria-label={`New filter operator: ${op === 'eq' ? 'is' : 'is not'}; press to toggle`}
          onClick={() => setOp(op === 'eq' ? 'neq' : 'eq')}
        >
          {op === 'eq' ? '=' : '≠'}
        </Button>
        <div className={styles.valueBox}>
          <Input
            aria-label="Filter value"
            role="combobox"
            aria-expanded={showList}
            aria-controls={listId}
            aria-autocomplete="list"
            aria-activedescendant={showList && active >= 0 ? `${listId}-${active}` : undefined}
            placeholder={field === 'ip' ? '10.0.0.0/8 or 192.0.2.7' : `${FIELD_LABELS[field]} value, Enter to add`}
            value={text}
            invalid={!!error}
            onChange={(e) => {
              setText(e.currentTarget.value);
              setOpen(true);
              setActive(-1);
              setError(undefined);
            }}
            onFocus={() => setOpen(true)}
            onBlur={() => setOpen(false)}
            onKeyDown={onKeyDown}
          />
          {showList && (
            <ul id={listId} role="listbox" aria-label={`${FIELD_LABELS[field]} values`} className={styles.list}>
              {suggestions.map((s, i) => (
                <li
                  key={s.value}
                  id={`${listId}-${i}`}
                  role="option"
                  aria-selected={i === active}
                  className={cx(styles.option, i === active && styles.optionActive)}
                  // mousedown, not click: the input's blur would close the list first.
                  onMouseDown={(e) => {
                    e.preventDefault();
                    add(s.value);
                  }}
                >
                  <span>{s.value}</span>
                  <span className={styles.count}>{s.count}</span>
                </li>
              ))}
            </ul>
          )}
        </div>
        <Button variant="secondary" icon="plus" onClick={() => add(text)} disabled={text.trim() === ''}>
          Add filter
        </Button>
      </div>
      {error && (
        <div role="alert" className={styles.error}>
          {error}
        </div>
      )}
    </div>
  );
}

/** useSuggestions fetches field values for the typed prefix, debounced, ignoring stale answers. */
function useSuggestions(
  source: FieldValueSource,
  field: FilterField,
  prefix: string,
  enabled: boolean,
  range?: TimeRange
): FieldValue[] {
  const [values, setValues] = useState<FieldValue[]>([]);
  const latest = useRef(0);
  const from = range?.from.valueOf();
  const to = range?.to.valueOf();
  useEffect(() => {
    if (!enabled) {
      return;
    }
    const call = ++latest.current;
    const timer = setTimeout(() => {
      source
        .getFieldValues(field, prefix, range)
        .then((v) => call === latest.current && setValues(v.slice(0, MAX_SUGGESTIONS)))
        .catch(() => call === latest.current && setValues([]));
    }, SUGGEST_DELAY_MS);
    return () => clearTimeout(timer);
    // range is represented by from/to: a new object for the same range must not refetch.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [source, field, prefix, enabled, from, to]);
  return values;
}

const getStyles = (theme: GrafanaTheme2) => ({
  wrap: css({ display: 'flex', flexDirection: 'column', gap: theme.spacing(1) }),
  chips: css({ display: 'flex', flexWrap: 'wrap', gap: theme.spacing(1), listStyle: 'none', margin: 0, padding: 0 }),
  chip: css({
    display: 'flex',
    alignItems: 'center',
    gap: theme.spacing(0.5),
    padding: theme.spacing(0.25, 0.75),
    borderRadius: theme.shape.radius.pill,
    background: theme.colors.background.secondary,
    border: `1px solid ${theme.colors.border.medium}`,
  }),
  chipField: css({ fontWeight: theme.typography.fontWeightMedium }),
  op: css({
    background: 'none',
    border: `1px solid ${theme.colors.border.weak}`,
    borderRadius: theme.shape.radius.default,
    color: theme.colors.text.primary,
    padding: theme.spacing(0, 0.5),
    cursor: 'pointer',
  }),
  value: css({ display: 'inline-flex', alignItems: 'center', gap: theme.spacing(0.25), fontFamily: theme.typography.fontFamilyMonospace }),
  editor: css({ display: 'flex', gap: theme.spacing(1), alignItems: 'flex-start' }),
  valueBox: css({ position: 'relative', width: 320 }),
  list: css({
    position: 'absolute',
    zIndex: theme.zIndex.dropdown,
    top: '100%',
    left: 0,
    right: 0,
    listStyle: 'none',
    margin: 0,
    padding: theme.spacing(0.5, 0),
    background: theme.colors.background.elevated,
    border: `1px solid ${theme.colors.border.medium}`,
    boxShadow: theme.shadows.z3,
    maxHeight: 300,
    overflowY: 'auto',
  }),
  option: css({ display: 'flex', justifyContent: 'space-between', padding: theme.spacing(0.5, 1), cursor: 'pointer' }),
  optionActive: css({ background: theme.colors.action.focus }),
  count: css({ color: theme.colors.text.secondary }),
  error: css({ color: theme.colors.error.text }),
});
