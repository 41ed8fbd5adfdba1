package rule // import "github.com/auditpipe/auditpipe/alerting/rule"

import "fmt"

// State is where one alert (a rule and group) is in its life cycle.
type State int

const (
	// StateInactive: the condition does not hold.
	StateInactive State = iota
	// StatePending: the condition holds but not yet for the rule's `for`.
	StatePending
	// StateFiring: the condition held long enough; notifications are sent.
	StateFiring
	// StateResolved: a firing alert whose condition stopped holding.
	StateResolved
)

var stateNames = [...]string{"inactive", "pending", "firing", "resolved"}

func (s State) String() string {
	if s < 0 || int(s) >= len(stateNames) {
		return fmt.Sprintf("State(%d)", int(s))
	}
	return stateNames[s]
}

// MarshalText writes the state's name, so JSON state and logs read well.
func (s State) MarshalText() ([]byte, error) {
	if s < 0 || int(s) >= len(stateNames) {
		return nil, fmt.Errorf("unknown alert state %d", int(s))
	}
	return []byte(stateNames[s]), nil
}

// UnmarshalText reads a state's name.
func (s *State) UnmarshalText(b []byte) error {
	for i, n := range stateNames {
		if n == string(b) {
			*s = State(i)
			return nil
		}
	}
	return fmt.Errorf("unknown alert state %q", b)
}
