// Command etcd is a single-member etcd for the end-to-end test: the
// server library at the version Kubernetes v1.36.3 is tested with, behind
// the few flags the harness needs. Debian's etcd-server is 3.4, older than
// what this apiserver expects.
package main

import (
	"flag"
	"fmt"
	"net/url"
	"os"
	"os/signal"
	"syscall"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "etcd:", err)
		os.Exit(1)
	}
}

func run() error {
	dataDir := flag.String("data-dir", "", "data directory (required)")
	client := flag.String("listen-client-url", "http://127.0.0.1:2379", "client URL (plain HTTP: only reachable inside the test's namespaces)")
	peer := flag.String("listen-peer-url", "http://127.0.0.1:2380", "peer URL")
	name := flag.String("name", "e2e", "member name")
	flag.Parse()
	if *dataDir == "" {
		return fmt.Errorf("--data-dir is required")
	}
	cu, err := url.Parse(*client)
	if err != nil {
		return fmt.Errorf("--listen-client-url %q: %w", *client, err)
	}
	pu, err := url.Parse(*peer)
	if err != nil {
		return fmt.Errorf("--listen-peer-url %q: %w", *peer, err)
	}
	cfg := embed.NewConfig()
	cfg.Name = *name
	cfg.Dir = *dataDir
	cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{*cu}, []url.URL{*cu}
	cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{*pu}, []url.URL{*pu}
	cfg.InitialCluster = cfg.InitialClusterFromName(*name)
	cfg.LogLevel = "warn"
	// A test cluster: no fsync per write keeps three apiservers' writes
	// cheap on a shared disk.
	cfg.UnsafeNoFsync = true
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		return fmt.Errorf("starting etcd: %w", err)
	}
	defer e.Close()
	select {
	case <-e.Server.ReadyNotify():
		fmt.Println("etcd: ready on", cu)
	case <-time.After(60 * time.Second):
		return fmt.Errorf("etcd not ready within 60s")
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	select {
	case s := <-sig:
		fmt.Println("etcd: stopping on", s)
		return nil
	case err := <-e.Err():
		return fmt.Errorf("etcd failed: %w", err)
	}
}
