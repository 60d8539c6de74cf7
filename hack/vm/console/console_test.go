package console

import (
	"strings"
	"testing"
)

func TestVerdict(t *testing.T) {
	const n = "abc123"
	tests := []struct {
		name     string
		lines    []string
		expected []string
		wantErr  []string // substrings; nil means success
	}{
		{
			name:     "all pass",
			lines:    []string{StartLine(n, "a"), "=== RUN TestX", ResultLine(n, "a", true) + "\r\n", StartLine(n, "b"), ResultLine(n, "b", true), DoneLine(n, true)},
			expected: []string{"a", "b"},
		},
		{
			name:     "marker after kernel noise on the same line",
			lines:    []string{"[    3.1] random: crng init done" + ResultLine(n, "a", true), DoneLine(n, true)},
			expected: []string{"a"},
		},
		{
			name:     "one fails",
			lines:    []string{ResultLine(n, "a", true), ResultLine(n, "b", false), DoneLine(n, false)},
			expected: []string{"a", "b"},
			wantErr:  []string{"b: FAIL"},
		},
		{
			name: "failed tests and a timeout panic are named",
			lines: []string{StartLine(n, "a"), "--- FAIL: TestIntegrationX (0.00s)", "    --- FAIL: TestIntegrationX/sub (0.00s)",
				"--- PASS: TestIntegrationY (0.01s)", "panic: test timed out after 10s", ResultLine(n, "a", false),
				StartLine(n, "b"), ResultLine(n, "b", true), "--- FAIL: TestAfterResult", DoneLine(n, false)},
			expected: []string{"a", "b"},
			wantErr:  []string{"a: FAIL (TestIntegrationX; TestIntegrationX/sub; panic: test timed out after 10s)"},
		},
		{
			name:     "fake marker with wrong nonce is ignored",
			lines:    []string{ResultLine("other", "a", true), DoneLine("other", true)},
			expected: []string{"a"},
			wantErr:  []string{"a: no result marker", "no final DONE marker"},
		},
		{
			name:     "hung binary",
			lines:    []string{StartLine(n, "a")},
			expected: []string{"a"},
			wantErr:  []string{"a: started but no result marker", "no final DONE marker"},
		},
		{
			name:     "kernel panic",
			lines:    []string{"[    1.0] Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000100"},
			expected: []string{"a"},
			wantErr:  []string{"kernel panicked: Kernel panic - not syncing: Attempted to kill init!", "no final DONE marker"},
		},
		{
			name:     "init error",
			lines:    []string{ErrorLine(n, "loading module ip_vs: no such file"), DoneLine(n, false)},
			expected: []string{"a"},
			wantErr:  []string{"VM init error: loading module ip_vs: no such file", "a: no result marker (never ran)"},
		},
		{
			name:     "done pass despite missing binary",
			lines:    []string{DoneLine(n, true)},
			expected: []string{"a"},
			wantErr:  []string{"a: no result marker", "DONE PASS despite"},
		},
		{
			name:     "unexpected binary",
			lines:    []string{ResultLine(n, "a", true), ResultLine(n, "zz", true), DoneLine(n, true)},
			expected: []string{"a"},
			wantErr:  []string{"zz: unexpected result marker"},
		},
		{
			name:     "done fail with no other reason",
			lines:    []string{ResultLine(n, "a", true), DoneLine(n, false)},
			expected: []string{"a"},
			wantErr:  []string{"VM reported DONE FAIL"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := NewSummary(n)
			for _, l := range tc.lines {
				s.Observe(l)
			}
			err := s.Verdict(tc.expected)
			if tc.wantErr == nil {
				if err != nil {
					t.Fatalf("Verdict() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Verdict() = nil, want error containing %q", tc.wantErr)
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Verdict() = %q, want it to contain %q", err, w)
				}
			}
		})
	}
}
