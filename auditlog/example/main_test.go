package main

import (
	"bytes"
	"context"
	"net"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configgrpc"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/receiver/otlpreceiver"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/auditpipe/auditpipe/semconv"
)

// TestExampleExportsValidEventsToAnOTLPReceiver runs the example against the
// core OTLP receiver and checks that what arrives is the events it printed,
// valid under the conventions.
func TestExampleExportsValidEventsToAnOTLPReceiver(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	factory := otlpreceiver.NewFactory()
	cfg := factory.CreateDefaultConfig().(*otlpreceiver.Config)
	grpcCfg := configgrpc.NewDefaultServerConfig()
	grpcCfg.NetAddr.Endpoint = addr
	cfg.Protocols.GRPC = configoptional.Some(grpcCfg)
	cfg.Protocols.HTTP = configoptional.None[otlpreceiver.HTTPConfig]()
	sink := new(consumertest.LogsSink)
	rcv, err := factory.CreateLogs(context.Background(), receivertest.NewNopSettings(factory.Type()), cfg, sink)
	if err != nil {
		t.Fatal(err)
	}
	if err := rcv.Start(context.Background(), componenttest.NewNopHost()); err != nil {
		t.Fatal(err)
	}
	defer rcv.Shutdown(context.Background())

	var out bytes.Buffer
	if err := run(context.Background(), addr, "backoffice-test", &out); err != nil {
		t.Fatal(err)
	}
	printed := map[string]string{} // id -> action
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		id, action, _ := strings.Cut(line, " ")
		printed[id] = action
	}
	received := 0
	for _, ld := range sink.AllLogs() {
		for i := 0; i < ld.ResourceLogs().Len(); i++ {
			rl := ld.ResourceLogs().At(i)
			lrs := rl.ScopeLogs().At(0).LogRecords()
			for j := 0; j < lrs.Len(); j++ {
				lr := lrs.At(j)
				if err := semconv.Validate(lr); err != nil {
					t.Errorf("%s arrived invalid: %v", lr.EventName(), err)
				}
				e := semconv.EventFromLogRecord(rl.Resource(), lr)
				if printed[e.ID] != e.Action || e.SourceService != "backoffice-test" || e.Tenant != "brand-eu" {
					t.Errorf("unexpected event %+v", e)
				}
				received++
			}
		}
	}
	if received != len(printed) || received != 3 {
		t.Errorf("received %d events, printed %d", received, len(printed))
	}
}
