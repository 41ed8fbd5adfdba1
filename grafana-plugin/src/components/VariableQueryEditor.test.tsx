import React from 'react';
import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';

import { VariableQueryEditor } from './VariableQueryEditor';

describe('VariableQueryEditor', () => {
  it('defines a variable as the values of a field with an optional prefix', async () => {
    const onChange = vi.fn();
    render(<VariableQueryEditor query={{ field: 'actor' }} onChange={onChange} />);
    await userEvent.click(screen.getByLabelText(/^Field/));
    await userEvent.click(await screen.findByText('Module'));
    expect(onChange).toHaveBeenLastCalledWith({ field: 'module' }, 'values of module');
    await userEvent.type(screen.getByLabelText(/^Prefix/), 'bo');
    await userEvent.tab();
    expect(onChange).toHaveBeenLastCalledWith({ field: 'module', prefix: 'bo' }, 'values of module starting with bo');
  });

  it('starts from the actor field for a new or legacy string query', () => {
    render(<VariableQueryEditor query="" onChange={vi.fn()} />);
    expect(screen.getByText('Actor')).toBeInTheDocument();
  });
});
