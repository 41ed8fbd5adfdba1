// Command devserver is a Grafana-shaped HTTP stand-in for browser tests of
// the data source: it starts the real plugin binary over the plugin
// protocol and serves /api/ds/query, resources, health and data source
// settings on top of it, plus static files. It prints its URL on stdout.
//
//	go run ./pkg/devserver -plugin dist/gpx_auditpipe -static dist -es http://127.0.0.1:9200 -addr 127.0.0.1:0
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"github.com/auditpipe/auditpipe/grafana-plugin/pkg/plugin"
	"github.com/auditpipe/auditpipe/grafana-plugin/pkg/pluginhost"
)

func main() {
	binary := flag.String("plugin", "", "path of the built plugin binary (gpx_auditpipe)")
	static := flag.String("static", "", "directory served for every other path (optional)")
	es := flag.String("es", "http://127.0.0.1:9200", "Elasticsearch (or esdev) URL of the data source")
	index := flag.String("index", "logs-audit-*", "index pattern of the data source")
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	uid := flag.String("uid", "auditpipe", "uid of the data source")
	role := flag.String("role", "Admin", "Grafana role of requests without the "+pluginhost.HeaderRole+" header")
	jsonData := flag.String("jsondata", "", "extra jsonData as JSON, merged over the defaults")
	flag.Parse()
	if *binary == "" {
		log.Fatal("devserver: -plugin is required")
	}
	settings := map[string]any{"urls": []string{*es}, "index": *index}
	if *jsonData != "" {
		if err := json.Unmarshal([]byte(*jsonData), &settings); err != nil {
			log.Fatalf("devserver: -jsondata: %v", err)
		}
	}
	rawSettings, _ := json.Marshal(settings)

	host, err := pluginhost.Start(*binary, os.Stderr)
	if err != nil {
		log.Fatalf("devserver: %v", err)
	}
	defer pluginhost.CleanupClients()

	var files http.Handler
	if *static != "" {
		files = http.FileServer(http.Dir(*static))
	}
	grafana := pluginhost.NewGrafana(host, plugin.PluginID, *role, files, pluginhost.DataSource{
		ID: 1, UID: *uid, Name: "auditpipe", URL: *es, JSONData: rawSettings,
	})
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		pluginhost.CleanupClients()
		log.Fatalf("devserver: %v", err)
	}
	fmt.Printf("http://%s\n", ln.Addr())
	srv := &http.Server{Handler: grafana}
	go func() {
		stop := make(chan os.Signal, 1)
		signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
		<-stop
		_ = srv.Close()
	}()
	if err := srv.Serve(ln); err != nil && err != http.ErrServerClosed {
		log.Printf("devserver: %v", err)
	}
}
