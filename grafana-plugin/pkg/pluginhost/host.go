// Package pluginhost starts a backend plugin binary the way Grafana does
// (hashicorp/go-plugin, the SDK's gRPC handshake, managed clients) and calls
// it over the plugin protocol. Tests and the dev server use it to exercise
// the real binary rather than the Go handlers in-process.
package pluginhost

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/grpcplugin"
	"github.com/grafana/grafana-plugin-sdk-go/genproto/pluginv2"
	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"
)

// Handshake is the handshake Grafana uses with backend plugins (protocol 2).
var Handshake = goplugin.HandshakeConfig{
	ProtocolVersion:  grpcplugin.ProtocolVersion,
	MagicCookieKey:   grpcplugin.MagicCookieKey,
	MagicCookieValue: grpcplugin.MagicCookieValue,
}

// pluginSet is what Grafana dispenses from a v2 plugin.
var pluginSet = map[int]goplugin.PluginSet{
	grpcplugin.ProtocolVersion: {
		"diagnostics": &grpcplugin.DiagnosticsGRPCPlugin{},
		"resource":    &grpcplugin.ResourceGRPCPlugin{},
		"data":        &grpcplugin.DataGRPCPlugin{},
		"stream":      &grpcplugin.StreamGRPCPlugin{},
	},
}

// Host is a running plugin process.
type Host struct {
	client      *goplugin.Client
	data        grpcplugin.DataClient
	diagnostics grpcplugin.DiagnosticsClient
	resource    grpcplugin.ResourceClient
	stream      grpcplugin.StreamClient
}

// Start launches the plugin binary; its log goes to logOutput (nil: discard).
func Start(binary string, logOutput io.Writer, env ...string) (*Host, error) {
	if logOutput == nil {
		logOutput = io.Discard
	}
	cmd := exec.Command(binary)
	cmd.Env = append(cmd.Environ(), env...)
	client := goplugin.NewClient(&goplugin.ClientConfig{
		Cmd:              cmd,
		HandshakeConfig:  Handshake,
		VersionedPlugins: pluginSet,
		AllowedProtocols: []goplugin.Protocol{goplugin.ProtocolGRPC},
		Managed:          true,
		Logger:           hclog.New(&hclog.LoggerOptions{Name: "plugin", Output: logOutput, Level: hclog.Info}),
		Stderr:           logOutput,
	})
	rpc, err := client.Client()
	if err != nil {
		client.Kill()
		return nil, fmt.Errorf("start plugin %s: %w", binary, err)
	}
	h := &Host{client: client}
	for name, dst := range map[string]any{"data": &h.data, "diagnostics": &h.diagnostics,
		"resource": &h.resource, "stream": &h.stream} {
		raw, err := rpc.Dispense(name)
		if err != nil {
			client.Kill()
			return nil, fmt.Errorf("plugin %s does not serve %s: %w", binary, name, err)
		}
		if err := assign(dst, raw); err != nil {
			client.Kill()
			return nil, fmt.Errorf("plugin %s: %s: %w", binary, name, err)
		}
	}
	return h, nil
}

func assign(dst, raw any) error {
	var ok bool
	switch d := dst.(type) {
	case *grpcplugin.DataClient:
		*d, ok = raw.(grpcplugin.DataClient)
	case *grpcplugin.DiagnosticsClient:
		*d, ok = raw.(grpcplugin.DiagnosticsClient)
	case *grpcplugin.ResourceClient:
		*d, ok = raw.(grpcplugin.ResourceClient)
	case *grpcplugin.StreamClient:
		*d, ok = raw.(grpcplugin.StreamClient)
	}
	if !ok {
		return fmt.Errorf("unexpected client type %T", raw)
	}
	return nil
}

// Close stops the plugin process.
func (h *Host) Close() { h.client.Kill() }

// Pid is the process id of the plugin, for resource measurements.
func (h *Host) Pid() int {
	if rc := h.client.ReattachConfig(); rc != nil {
		return rc.Pid
	}
	return 0
}

// Exited reports whether the plugin process has ended.
func (h *Host) Exited() bool { return h.client.Exited() }

// CleanupClients kills every managed plugin process, as Grafana does on exit.
func CleanupClients() { goplugin.CleanupClients() }

// QueryData calls the plugin's QueryData over gRPC.
func (h *Host) QueryData(ctx context.Context, req *backend.QueryDataRequest) (*backend.QueryDataResponse, error) {
	res, err := h.data.QueryData(ctx, backend.ToProto().QueryDataRequest(req))
	if err != nil {
		return nil, err
	}
	return backend.FromProto().QueryDataResponse(res)
}

// CheckHealth calls the plugin's CheckHealth over gRPC.
func (h *Host) CheckHealth(ctx context.Context, pc backend.PluginContext) (*backend.CheckHealthResult, error) {
	res, err := h.diagnostics.CheckHealth(ctx, &pluginv2.CheckHealthRequest{PluginContext: backend.ToProto().PluginContext(pc)})
	if err != nil {
		return nil, err
	}
	return backend.FromProto().CheckHealthResponse(res), nil
}

// CallResource calls the plugin's CallResource over gRPC and hands each
// streamed response chunk to fn: the first carries status and headers.
func (h *Host) CallResource(ctx context.Context, req *backend.CallResourceRequest, fn func(*backend.CallResourceResponse) error) error {
	stream, err := h.resource.CallResource(ctx, backend.ToProto().CallResourceRequest(req))
	if err != nil {
		return err
	}
	for {
		chunk, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := fn(backend.FromProto().CallResourceResponse(chunk)); err != nil {
			return err
		}
	}
}

// SubscribeStream calls the plugin's SubscribeStream over gRPC.
func (h *Host) SubscribeStream(ctx context.Context, req *backend.SubscribeStreamRequest) (*backend.SubscribeStreamResponse, error) {
	res, err := h.stream.SubscribeStream(ctx, backend.ToProto().SubscribeStreamRequest(req))
	if err != nil {
		return nil, err
	}
	return backend.FromProto().SubscribeStreamResponse(res), nil
}

// RunStream runs a stream until ctx ends, handing each packet's JSON to fn.
func (h *Host) RunStream(ctx context.Context, req *backend.RunStreamRequest, fn func([]byte) error) error {
	stream, err := h.stream.RunStream(ctx, backend.ToProto().RunStreamRequest(req))
	if err != nil {
		return err
	}
	for {
		packet, err := stream.Recv()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		if err := fn(packet.GetData()); err != nil {
			return err
		}
	}
}
