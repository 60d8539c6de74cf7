package main

import (
	"strings"
	"testing"
	"time"
)

func TestParseStatCPU(t *testing.T) {
	tests := []struct {
		name, in string
		want     time.Duration
		wantErr  string
	}{
		{"plain", "1234 (kube-apiserver) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 75 0 0 20 0 12 0", 3250 * time.Millisecond, ""},
		{"name with spaces and parentheses", "7 (a) b (c)) R 1 7 7 0 -1 0 0 0 0 0 3 4 0 0", 70 * time.Millisecond, ""},
		{"truncated", "7 (x) R 1 2", 0, "fields after the command name"},
		{"no name", "garbage", 0, "no command name"},
		{"not a number", "7 (x) R 1 7 7 0 -1 0 0 0 0 0 u s 0 0", 0, "invalid syntax"},
	}
	for _, tc := range tests {
		got, err := parseStatCPU(tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%s: err = %v, want %q", tc.name, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s: parseStatCPU = %v, %v; want %v", tc.name, got, err, tc.want)
		}
	}
}

func TestRunRejectsBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"-rates", "500"},
		{"-pid", "1", "-rates", "fast"},
		{"-pid", "1", "-conns", "0"},
	} {
		if err := run(args, nil); err == nil {
			t.Errorf("run(%v) accepted bad flags", args)
		}
	}
}
