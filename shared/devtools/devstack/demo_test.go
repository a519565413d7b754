package devstack_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/goalrelay/goalrelay/shared/devtools/devstack"
)

func TestMainUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown flag", []string{"-nope"}, "flag provided but not defined"},
		{"stray argument", []string{"extra"}, "unexpected arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errs bytes.Buffer
			if code := devstack.Main(t.Context(), tt.args, &out, &errs); code != 2 {
				t.Errorf("exit code = %d, want 2", code)
			}
			if !strings.Contains(errs.String(), tt.want) {
				t.Errorf("stderr = %q, want it to mention %q", errs.String(), tt.want)
			}
			if out.Len() != 0 {
				t.Errorf("stdout = %q, want nothing", out.String())
			}
		})
	}
}
