import React, { useState } from 'react';
import { css } from '@emotion/css';
import { DataFrame, dateTimeFormat, GrafanaTheme2 } from '@grafana/data';
import { Button, Drawer, useStyles2 } from '@grafana/ui';

import { EventDetail, EventSource } from './EventDetail';

interface Props {
  frames: DataFrame[];
  source: EventSource;
  canComment: boolean;
  /** Rows shown; the panel itself shows them all. */
  maxRows?: number;
}

interface Row {
  id: string;
  time: number;
  actor: string;
  action: string;
  outcome: string;
  ip: string;
}

/**
 * EventsView lists the events a search returned, inside the query editor,
 * so an event can be opened in the detail view without leaving the editor.
 */
export function EventsView({ frames, source, canComment, maxRows = 20 }: Props) {
  const styles = useStyles2(getStyles);
  const [open, setOpen] = useState<string>();
  const rows = frameRows(frames).slice(0, maxRows);
  if (rows.length === 0) {
    return null;
  }
  return (
    <>
      <table className={styles.table} aria-label="Events">
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Actor</th>
            <th scope="col">Action</th>
            <th scope="col">Outcome</th>
            <th scope="col">IP</th>
            <th scope="col">
              <span className={styles.srOnly}>Details</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.id}>
              <td>{dateTimeFormat(r.time)}</td>
              <td>{r.actor}</td>
              <td>{r.action}</td>
              <td>{r.outcome}</td>
              <td>{r.ip}</td>
              <td>
                <Button size="sm" variant="secondary" fill="text" aria-label={`Details of ${r.id}`} onClick={() => setOpen(r.id)}>
                  Details
                </Button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {open && (
        <Drawer title="Audit event" subtitle={open} size="lg" onClose={() => setOpen(undefined)}>
          <EventDetail source={source} eventId={open} canComment={canComment} />
        </Drawer>
      )}
    </>
  );
}

/** frameRows reads the search frame's columns; outcome lives in the labels field. */
export function frameRows(frames: DataFrame[]): Row[] {
  const rows: Row[] = [];
  for (const frame of frames) {
    const col = (name: string) => frame.fields.find((f) => f.name === name)?.values;
    const ids = col('id');
    const times = col('timestamp');
    if (!ids || !times) {
      continue;
    }
    const actors = col('actor');
    const actions = col('action');
    const ips = col('ip');
    const labels = col('labels');
    for (let i = 0; i < frame.length; i++) {
      rows.push({
        id: String(ids[i]),
        time: Number(times[i]),
        actor: String(actors?.[i] ?? ''),
        action: String(actions?.[i] ?? ''),
        outcome: outcomeOf(labels?.[i]),
        ip: String(ips?.[i] ?? ''),
      });
    }
  }
  return rows;
}

function outcomeOf(labels: unknown): string {
  let l = labels;
  if (typeof l === 'string') {
    try {
      l = JSON.parse(l);
    } catch {
      return '';
    }
  }
  const v = l && typeof l === 'object' ? (l as Record<string, unknown>).outcome : undefined;
  return typeof v === 'string' ? v : '';
}

const getStyles = (theme: GrafanaTheme2) => ({
  table: css({
    width: '100%',
    borderCollapse: 'collapse',
    'th, td': { padding: theme.spacing(0.25, 1), textAlign: 'left', borderBottom: `1px solid ${theme.colors.border.weak}` },
  }),
  srOnly: css({ position: 'absolute', width: 1, height: 1, overflow: 'hidden', clip: 'rect(0 0 0 0)' }),
});
