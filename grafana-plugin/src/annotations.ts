import { AnnotationEvent, DataFrame, FieldType } from '@grafana/data';

/** Label keys of a search frame's labels field that become annotation tags. */
const TAG_LABELS = ['module', 'action', 'category', 'outcome'];

/**
 * framesToAnnotations turns search (log-lines) frames into annotation events:
 * the event time, its body as text, the action as title, and module, action,
 * category, outcome and the event's own tags as tags, so dashboard
 * annotations can be filtered with Grafana's usual tag matching.
 */
export function framesToAnnotations(frames: DataFrame[]): AnnotationEvent[] {
  const events: AnnotationEvent[] = [];
  for (const frame of frames) {
    const time = frame.fields.find((f) => f.type === FieldType.time);
    if (!time) {
      continue;
    }
    const byName = (name: string) => frame.fields.find((f) => f.name === name);
    const body = byName('body');
    const action = byName('action');
    const id = byName('id');
    const labels = byName('labels');
    const tags = byName('tags');
    for (let i = 0; i < frame.length; i++) {
      events.push({
        time: Number(time.values[i]),
        title: action ? String(action.values[i] ?? '') : undefined,
        text: body ? String(body.values[i] ?? '') : '',
        id: id ? String(id.values[i]) : undefined,
        tags: rowTags(labels?.values[i], tags?.values[i]),
      });
    }
  }
  return events;
}

function rowTags(labels: unknown, tags: unknown): string[] {
  const out: string[] = [];
  const parsed = typeof labels === 'string' ? safeParse(labels) : labels;
  if (parsed && typeof parsed === 'object') {
    for (const key of TAG_LABELS) {
      const v = (parsed as Record<string, unknown>)[key];
      if (typeof v === 'string' && v !== '') {
        out.push(`${key}:${v}`);
      }
    }
  }
  if (typeof tags === 'string' && tags !== '') {
    out.push(...tags.split(',').map((t) => t.trim()).filter(Boolean));
  }
  return out;
}

function safeParse(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}
