package manifests

import (
	"fmt"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sealkube/kubeadm/care"
	"github.com/sealkube/kubeadm/internal/testenv"
	"github.com/sealkube/kubeadm/locallb"
)

var seedsMasters = []netip.AddrPort{ap("10.103.97.200:6443"), ap("10.103.97.201:6443"), ap("10.103.97.202:6443")}

func careOpts(image string, backend locallb.Backend, c Care) Options {
	return Options{Image: image, VIP: ap("10.103.97.2:6443"), Masters: seedsMasters, Backend: backend, Care: c}
}

// The care settings kubeadm passes end up on the command line, and our
// daemon reads them back with the meaning they were given.
func TestRenderCareGolden(t *testing.T) {
	o := careOpts("", locallb.BackendNFTables, Care{
		HealthPath: "/livez", HealthStatus: []int{401, 403}, Interval: 2 * time.Second, HealthTimeout: 1500 * time.Millisecond,
		ExtraArgs: []string{"--fall=3", "--logger", "DEBG"},
	})
	got, err := Render(o)
	if err != nil {
		t.Fatal(err)
	}
	cmd := Command(o)
	cfg, err := care.CheckArgs(cmd[2:])
	if err != nil {
		t.Fatalf("our daemon refuses the command it is given: %v", err)
	}
	if cfg.Probe.Path != "/livez" || cfg.Interval != 2*time.Second || cfg.Probe.Timeout != 1500*time.Millisecond ||
		fmt.Sprint(cfg.Probe.ExtraOK) != "[401 403]" || cfg.Fall != 3 || cfg.Backend != locallb.BackendNFTables {
		t.Fatalf("the daemon reads %+v from %q", cfg, cmd)
	}
	testenv.Golden(t, filepath.Join("testdata", "ipv4-care.yaml"), got, *update, "./manifests/")
}

// Defaults render today's command: no care flag the user did not ask for.
func TestCareDefaultsRenderNothing(t *testing.T) {
	got := strings.Join(Command(careOpts("", "", Care{})), " ")
	want := "lvscare care --vs 10.103.97.2:6443 --rs 10.103.97.200:6443 --rs 10.103.97.201:6443 --rs 10.103.97.202:6443 --health-path /readyz --health-schem https"
	if got != want {
		t.Fatalf("command %q, want %q", got, want)
	}
}

// Combinations the chosen image cannot run are render-time errors that
// name the value and the fix.
func TestRenderCareRefuses(t *testing.T) {
	const public = "ghcr.io/labring/lvscare:v5.0.1"
	for _, tc := range []struct {
		name string
		o    Options
		want []string
	}{
		{"public image + nftables", careOpts(public, locallb.BackendNFTables, Care{}),
			[]string{public, "no --backend", DefaultImage, "backend ipvs"}},
		{"public image + our flag", careOpts(public, "", Care{ExtraArgs: []string{"--rise=3"}}),
			[]string{`"--rise=3"`, "not a public lvscare flag", DefaultImage}},
		{"public image + unknown shorthand", careOpts(public, "", Care{ExtraArgs: []string{"-v", "2"}}),
			[]string{`"-v"`, "unknown shorthand flag: 'v'"}},
		{"our image + a flag nobody has", careOpts("", "", Care{ExtraArgs: []string{"--rize", "3"}}),
			[]string{"would refuse its command line", "unknown flag: --rize", "care section"}},
		{"our image + link mode", careOpts("", "", Care{ExtraArgs: []string{"--mode", "link"}}),
			[]string{"--mode link is not supported", "use --mode route"}},
		{"nftables + wrr", careOpts("", locallb.BackendNFTables, Care{ExtraArgs: []string{"--scheduler=wrr"}}),
			[]string{"--scheduler wrr", "--backend nftables", "--scheduler rr"}},
		{"extraArgs repeats a field", careOpts("", "", Care{ExtraArgs: []string{"--interval=5"}}),
			[]string{`"--interval=5"`, "care.interval"}},
		{"extraArgs sets the VIP", careOpts("", "", Care{ExtraArgs: []string{"--vs", "1.2.3.4:6443"}}),
			[]string{`"--vs"`, "the VIP"}},
		{"metrics address moves away from the liveness probe", careOpts("", "", Care{ExtraArgs: []string{"--metrics-address=127.0.0.1:9999"}}),
			[]string{`--metrics-address "127.0.0.1:9999"`, "liveness probe"}},
		{"status below 400", careOpts("", "", Care{HealthStatus: []int{200}}),
			[]string{"care.healthStatus 200", "400 to 599"}},
		{"negative interval", careOpts("", "", Care{Interval: -time.Second}),
			[]string{"care.interval -1s"}},
		{"health path twice", Options{VIP: ap("10.103.97.2:6443"), Masters: seedsMasters, HealthPath: "/readyz", Care: Care{HealthPath: "/livez"}},
			[]string{`"/readyz"`, `"/livez"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Render(tc.o)
			if err == nil {
				t.Fatalf("rendered %q", Command(tc.o))
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

// What the public image can run renders for it: its own flags, link mode.
func TestRenderCarePublicImage(t *testing.T) {
	o := careOpts("ghcr.io/labring/lvscare:v5.0.1", "", Care{Interval: 5 * time.Second, HealthStatus: []int{401},
		ExtraArgs: []string{"--mode", "link", "-i", "lvs0", "--scheduler=wlc"}})
	if _, err := Render(o); err != nil {
		t.Fatal(err)
	}
}

// Values that look like flags are values, as pflag parses them.
func TestRenderCarePublicImageValues(t *testing.T) {
	o := careOpts("ghcr.io/labring/lvscare:v5.0.1", "", Care{ExtraArgs: []string{"--health-req-body", "-x", "--logger=DEBG"}})
	if _, err := Render(o); err != nil {
		t.Fatal(err)
	}
}
