import React from 'react';
import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';

import { bonusEvent } from '../__fixtures__/event';
import { EventDetails } from '../types';
import { EventDetail, EventSource } from './EventDetail';

function source(details: EventDetails = bonusEvent): EventSource & { getEvent: ReturnType<typeof vi.fn>; addComment: ReturnType<typeof vi.fn> } {
  return {
    getEvent: vi.fn().mockResolvedValue(details),
    addComment: vi.fn().mockResolvedValue({ id: 'c2' }),
  };
}

describe('EventDetail', () => {
  it('answers who, what, where, when and from which IP', async () => {
    render(<EventDetail source={source()} eventId="evt-42" canComment={false} />);
    const facts = await screen.findByRole('article', { name: 'Audit event evt-42' });
    expect(within(facts).getByText('Dana Ops (emp-7), employee, roles support')).toBeInTheDocument();
    expect(within(facts).getByText('bonus.adjust (change)')).toBeInTheDocument();
    expect(within(facts).getByText('player p-1001')).toBeInTheDocument();
    expect(within(facts).getByText('bonus, via backoffice, tenant casino-eu')).toBeInTheDocument();
    expect(within(facts).getByText('203.0.113.9')).toBeInTheDocument();
    expect(within(facts).getByText(/^2026-11-20 \d\d:\d\d:30\.123/)).toBeInTheDocument();
  });

  it('shows old and new side by side with the changed fields marked', async () => {
    render(<EventDetail source={source()} eventId="evt-42" canComment={false} />);
    const changes = await screen.findByRole('region', { name: 'Changes' });
    const rows = within(changes).getAllByRole('row').slice(1);
    const byField = Object.fromEntries(rows.map((r) => [within(r).getByRole('rowheader').textContent, r]));
    expect(Object.keys(byField)).toEqual(['bonus_balance (changed)', 'currency', 'note (changed)']);
    expect(byField['bonus_balance (changed)']).toHaveAttribute('data-changed', 'true');
    expect(within(byField['bonus_balance (changed)']).getByText('10.00')).toBeInTheDocument();
    expect(within(byField['bonus_balance (changed)']).getByText('250.00')).toBeInTheDocument();
    expect(byField.currency).toHaveAttribute('data-changed', 'false');
  });

  it('explains redaction, masking and the chain status', async () => {
    render(<EventDetail source={source({ ...bonusEvent, masked: true })} eventId="evt-42" canComment={false} />);
    expect(await screen.findByText(/Redacted by the pipeline before storage/)).toHaveTextContent('note');
    expect(screen.getByText(/masked for your role/)).toBeInTheDocument();
    const chain = screen.getByRole('region', { name: 'Chain' });
    expect(chain).toHaveTextContent('Chain verified: hash matches seq 17');
    expect(chain).toHaveTextContent('stream backoffice · seq 17 · hash abc123');
  });

  it('adds a comment with tags and reloads the event', async () => {
    const src = source();
    render(<EventDetail source={src} eventId="evt-42" canComment />);
    expect(await screen.findByText('Approved by manager')).toBeInTheDocument();
    await userEvent.type(screen.getByLabelText('Comment'), 'Checked with the player');
    await userEvent.type(screen.getByLabelText(/^Tags/, { selector: 'input' }), 'fraud-review, closed');
    await userEvent.click(screen.getByRole('button', { name: 'Add comment' }));
    expect(src.addComment).toHaveBeenCalledWith('evt-42', 'Checked with the player', ['fraud-review', 'closed']);
    expect(src.getEvent).toHaveBeenCalledTimes(2);
    expect(screen.getByLabelText('Comment')).toHaveValue('');
  });

  it('shows the backend refusal when the role is too low', async () => {
    const src = source();
    src.addComment.mockRejectedValue({ status: 403, data: { error: 'commenting needs role Editor' } });
    render(<EventDetail source={src} eventId="evt-42" canComment />);
    await userEvent.type(await screen.findByLabelText('Comment'), 'x');
    await userEvent.click(screen.getByRole('button', { name: 'Add comment' }));
    expect(await screen.findByText('commenting needs role Editor (HTTP 403)')).toBeInTheDocument();
  });

  it('offers no comment form to roles that cannot comment', async () => {
    render(<EventDetail source={source()} eventId="evt-42" canComment={false} />);
    expect(await screen.findByText('Your role cannot add comments to audit events.')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Add comment' })).not.toBeInTheDocument();
  });

  it('reports an event that cannot be loaded', async () => {
    const src = source();
    src.getEvent.mockRejectedValue({ status: 404, data: { error: 'event not found' } });
    render(<EventDetail source={src} eventId="nope" canComment />);
    expect(await screen.findByText('event not found (HTTP 404)')).toBeInTheDocument();
  });
});
