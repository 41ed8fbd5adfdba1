// Code written by hand in the shape cmd/mdatagen generates (mdatagen is not available in this build).

package metadata

import (
	"go.opentelemetry.io/collector/component"
)

var (
	Type      = component.MustNewType("audit")
	ScopeName = "github.com/auditpipe/auditpipe/receiver/auditreceiver"
)

const (
	LogsStability = component.StabilityLevelAlpha
)
