package rule // import "github.com/auditpipe/auditpipe/alerting/rule"

import (
	"context"
	"encoding/json"
	"fmt"

	"go.opentelemetry.io/collector/extension/xextension/storage"
)

// StateKey is the storage key of the evaluator's state.
const StateKey = "alert_state"

// stateVersion is bumped when the persisted shape changes incompatibly.
const stateVersion = 1

type persistedState struct {
	Version int                           `json:"version"`
	Rules   map[string]map[string]*series `json:"rules"`
}

// MarshalState encodes the state of every alert: what fired, what was sent
// when, and the windows' hits, so a restart neither forgets nor re-sends.
func (e *Evaluator) MarshalState() ([]byte, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return json.Marshal(persistedState{Version: stateVersion, Rules: e.series})
}

// RestoreState replaces the state with data from MarshalState. State of rules
// that no longer exist is dropped.
func (e *Evaluator) RestoreState(data []byte) error {
	var st persistedState
	if err := json.Unmarshal(data, &st); err != nil {
		return fmt.Errorf("decode alert state: %w", err)
	}
	if st.Version != stateVersion {
		return fmt.Errorf("alert state version %d, want %d", st.Version, stateVersion)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, r := range e.rules {
		if s, ok := st.Rules[r.Name()]; ok && s != nil {
			e.series[r.Name()] = s
		}
	}
	return nil
}

// Save writes the state to client under StateKey.
func (e *Evaluator) Save(ctx context.Context, client storage.Client) error {
	data, err := e.MarshalState()
	if err != nil {
		return err
	}
	return client.Set(ctx, StateKey, data)
}

// Load restores the state saved in client, if any.
func (e *Evaluator) Load(ctx context.Context, client storage.Client) error {
	data, err := client.Get(ctx, StateKey)
	if err != nil || data == nil {
		return err
	}
	return e.RestoreState(data)
}
