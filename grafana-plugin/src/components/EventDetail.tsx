import React, { FormEvent, useCallback, useEffect, useState } from 'react';
import { css, cx } from '@emotion/css';
import { dateTimeFormat, GrafanaTheme2 } from '@grafana/data';
import { Alert, Badge, BadgeColor, Button, Field, Input, LoadingPlaceholder, TagList, TextArea, useStyles2 } from '@grafana/ui';

import { diffValues } from '../diff';
import { AuditEvent, ChainStatus, EventDetails } from '../types';

/** The calls the detail view needs; the DataSource implements them. */
export interface EventSource {
  getEvent(id: string): Promise<EventDetails>;
  addComment(id: string, comment: string, tags: string[]): Promise<{ id: string }>;
}

interface Props {
  source: EventSource;
  eventId: string;
  /** Whether the user's role allows adding comments; the backend checks again. */
  canComment: boolean;
}

const CHAIN_BADGES: Record<ChainStatus, { color: BadgeColor; text: string }> = {
  verified: { color: 'green', text: 'Chain verified' },
  broken: { color: 'red', text: 'Chain broken' },
  unchained: { color: 'orange', text: 'Not chained' },
  unknown: { color: 'blue', text: 'Chain not checked' },
};

const OUTCOME_COLORS: Record<string, BadgeColor> = { success: 'green', failure: 'red', denied: 'orange' };
const SEVERITY_COLORS: Record<string, BadgeColor> = { critical: 'red', high: 'orange', medium: 'blue', low: 'green', info: 'blue' };

/**
 * EventDetail answers who did what, where, when and from which IP for one
 * audit event, shows the old and new values side by side with the changed
 * fields marked, explains redaction, and lists and adds comments.
 */
export function EventDetail({ source, eventId, canComment }: Props) {
  const styles = useStyles2(getStyles);
  const [details, setDetails] = useState<EventDetails>();
  const [error, setError] = useState<string>();

  const load = useCallback(() => {
    source
      .getEvent(eventId)
      .then((d) => {
        setDetails(d);
        setError(undefined);
      })
      .catch((e) => setError(errorMessage(e)));
  }, [source, eventId]);
  useEffect(load, [load]);

  if (error) {
    return (
      <Alert severity="error" title={`Event ${eventId} could not be loaded`}>
        {error}
      </Alert>
    );
  }
  if (!details) {
    return <LoadingPlaceholder text="Loading event…" />;
  }
  const { event, chain, annotations, masked } = details;
  const chainBadge = CHAIN_BADGES[chain?.status] ?? CHAIN_BADGES.unknown;

  return (
    <article className={styles.root} aria-label={`Audit event ${event.id}`}>
      <header className={styles.header}>
        <h3 className={styles.title}>{event.action}</h3>
        <Badge text={event.outcome || 'unknown outcome'} color={OUTCOME_COLORS[event.outcome] ?? 'blue'} />
        {event.severity && <Badge text={event.severity} color={SEVERITY_COLORS[event.severity] ?? 'blue'} />}
        <Badge text={chainBadge.text} color={chainBadge.color} icon={chain?.status === 'verified' ? 'lock' : 'unlock'} tooltip={chain?.detail} />
      </header>
      {event.body && <p className={styles.body}>{event.body}</p>}

      <dl className={styles.facts}>
        <Fact label="Who" value={who(event)} />
        <Fact label="What" value={[event.action, event.category && `(${event.category})`].filter(Boolean).join(' ')} />
        <Fact label="Target" value={[event.target_type, event.target_id].filter(Boolean).join(' ')} />
        <Fact label="Where" value={[event.module, event.source_service && `via ${event.source_service}`, event.tenant && `tenant ${event.tenant}`].filter(Boolean).join(', ')} />
        <Fact label="When" value={event.timestamp ? dateTimeFormat(event.timestamp, { format: 'YYYY-MM-DD HH:mm:ss.SSS Z' }) : ''} />
        <Fact label="IP" value={event.client_address ?? ''} mono />
        <Fact label="User agent" value={event.user_agent ?? ''} />
        <Fact label="Session" value={[event.session_id, event.request_id && `request ${event.request_id}`].filter(Boolean).join(', ')} mono />
        <Fact label="Event id" value={event.id} mono />
      </dl>

      <ChangeView event={event} />

      {(masked || (event.redacted_fields?.length ?? 0) > 0) && (
        <Alert severity="info" title="Redaction">
          {event.redacted_fields && event.redacted_fields.length > 0 && (
            <p>
              Redacted by the pipeline before storage: <strong>{event.redacted_fields.join(', ')}</strong>. The stored
              event never held these values in clear.
            </p>
          )}
          {masked && <p>Some values are masked for your role; a user with the unmask role sees them in clear.</p>}
        </Alert>
      )}
      {event.validation_error && (
        <Alert severity="warning" title="Validation">
          This event did not fully conform to the audit conventions: {event.validation_error}
        </Alert>
      )}

      <section aria-label="Chain" className={styles.section}>
        <h4>Tamper evidence</h4>
        <p>
          {chainBadge.text}
          {chain?.detail ? `: ${chain.detail}` : ''}
        </p>
        {event.chain_stream && (
          <p className={styles.mono}>
            stream {event.chain_stream} · seq {event.chain_seq} · hash {event.chain_hash}
          </p>
        )}
      </section>

      <section aria-label="Comments" className={styles.section}>
        <h4>Comments and tags</h4>
        {event.comment && <p>Comment at the source: {event.comment}</p>}
        {event.tags && event.tags.length > 0 && <TagList tags={event.tags} />}
        {annotations.length === 0 ? (
          <p className={styles.muted}>No comments yet.</p>
        ) : (
          <ul className={styles.comments}>
            {annotations.map((a) => (
              <li key={a.id}>
                <strong>{a.user}</strong> <span className={styles.muted}>{dateTimeFormat(a.time)}</span>
                <p>{a.comment}</p>
                {a.tags && a.tags.length > 0 && <TagList tags={a.tags} />}
              </li>
            ))}
          </ul>
        )}
        {canComment ? (
          <AddComment eventId={event.id} source={source} onAdded={load} />
        ) : (
          <p className={styles.muted}>Your role cannot add comments to audit events.</p>
        )}
      </section>
    </article>
  );
}

function who(e: AuditEvent): string {
  const name = e.actor_name ? `${e.actor_name} (${e.actor_id})` : e.actor_id;
  const extra = [e.actor_type, e.actor_roles?.length ? `roles ${e.actor_roles.join(', ')}` : ''].filter(Boolean);
  return extra.length ? `${name}, ${extra.join(', ')}` : name;
}

function Fact({ label, value, mono }: { label: string; value: string; mono?: boolean }) {
  const styles = useStyles2(getStyles);
  if (!value) {
    return null;
  }
  return (
    <>
      <dt className={styles.factLabel}>{label}</dt>
      <dd className={cx(styles.factValue, mono && styles.mono)}>{value}</dd>
    </>
  );
}

function ChangeView({ event }: { event: AuditEvent }) {
  const styles = useStyles2(getStyles);
  const diff = diffValues(event.old_value, event.new_value, event.change_fields);
  if (diff.rows.length === 0) {
    return null;
  }
  return (
    <section aria-label="Changes" className={styles.section}>
      <h4>Changes</h4>
      <table className={styles.diff}>
        <thead>
          <tr>
            {diff.structured && <th scope="col">Field</th>}
            <th scope="col">Old value</th>
            <th scope="col">New value</th>
          </tr>
        </thead>
        <tbody>
          {diff.rows.map((r) => (
            <tr key={r.key} data-changed={r.changed} className={cx(r.changed && styles.changed)}>
              {diff.structured && (
                <th scope="row">
                  {r.key}
                  {r.changed && <span className={styles.srOnly}> (changed)</span>}
                </th>
              )}
              <td className={cx(styles.mono, r.changed && styles.oldCell)}>{r.old ?? '—'}</td>
              <td className={cx(styles.mono, r.changed && styles.newCell)}>{r.new ?? '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {event.change_diff && <pre className={styles.patch}>{event.change_diff}</pre>}
    </section>
  );
}

function AddComment({ eventId, source, onAdded }: { eventId: string; source: EventSource; onAdded: () => void }) {
  const [comment, setComment] = useState('');
  const [tags, setTags] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    try {
      const tagList = tags.split(',').map((t) => t.trim()).filter(Boolean);
      await source.addComment(eventId, comment.trim(), tagList);
      setComment('');
      setTags('');
      setError(undefined);
      onAdded();
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form onSubmit={submit} aria-label="Add comment">
      <Field htmlFor="event-comment" label="Comment">
        <TextArea id="event-comment" rows={2} value={comment} onChange={(e) => setComment(e.currentTarget.value)} />
      </Field>
      <Field htmlFor="event-comment-tags" label="Tags" description="Comma separated">
        <Input id="event-comment-tags" value={tags} onChange={(e) => setTags(e.currentTarget.value)} />
      </Field>
      <Button type="submit" disabled={busy || comment.trim() === ''}>
        Add comment
      </Button>
      {error && (
        <Alert severity="error" title="Comment not saved">
          {error}
        </Alert>
      )}
    </form>
  );
}

/** errorMessage reads the {"error": "..."} body of a failed resource call, or any thrown error. */
export function errorMessage(e: unknown): string {
  if (e && typeof e === 'object') {
    const o = e as { data?: { error?: string; message?: string }; message?: string; status?: number; statusText?: string };
    const text = o.data?.error ?? o.data?.message ?? o.message ?? o.statusText;
    if (text) {
      return o.status ? `${text} (HTTP ${o.status})` : text;
    }
  }
  return String(e);
}

const getStyles = (theme: GrafanaTheme2) => ({
  root: css({ display: 'flex', flexDirection: 'column', gap: theme.spacing(2) }),
  header: css({ display: 'flex', alignItems: 'center', gap: theme.spacing(1), flexWrap: 'wrap' }),
  title: css({ margin: 0, fontFamily: theme.typography.fontFamilyMonospace }),
  body: css({ margin: 0, color: theme.colors.text.secondary }),
  facts: css({ display: 'grid', gridTemplateColumns: 'max-content 1fr', gap: theme.spacing(0.5, 2), margin: 0 }),
  factLabel: css({ color: theme.colors.text.secondary, fontWeight: theme.typography.fontWeightMedium }),
  factValue: css({ margin: 0, wordBreak: 'break-all' }),
  mono: css({ fontFamily: theme.typography.fontFamilyMonospace }),
  section: css({ h4: { marginBottom: theme.spacing(1) } }),
  diff: css({
    width: '100%',
    borderCollapse: 'collapse',
    'th, td': { border: `1px solid ${theme.colors.border.weak}`, padding: theme.spacing(0.5, 1), textAlign: 'left', verticalAlign: 'top' },
  }),
  changed: css({ fontWeight: theme.typography.fontWeightBold }),
  oldCell: css({ background: theme.colors.error.transparent }),
  newCell: css({ background: theme.colors.success.transparent }),
  patch: css({ marginTop: theme.spacing(1), fontSize: theme.typography.bodySmall.fontSize }),
  comments: css({ listStyle: 'none', padding: 0, li: { marginBottom: theme.spacing(1) } }),
  muted: css({ color: theme.colors.text.secondary }),
  srOnly: css({ position: 'absolute', width: 1, height: 1, overflow: 'hidden', clip: 'rect(0 0 0 0)' }),
});
