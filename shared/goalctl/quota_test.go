package goalctl_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/goalrelay/goalrelay/shared/devtools/awstest"
	"github.com/goalrelay/goalrelay/shared/goalctl"
	"github.com/goalrelay/goalrelay/shared/quota"
	"github.com/goalrelay/goalrelay/shared/state"
)

const stateTable = "goalrelay-state"

func newStateTable(t *testing.T) (*awstest.Moto, *dynamodb.Client, *harness) {
	t.Helper()
	m := awstest.NewMoto(t)
	cfg := awstest.Config(t, m)
	db := dynamodb.NewFromConfig(cfg)
	if err := state.CreateTable(t.Context(), db, stateTable); err != nil {
		t.Fatal(err)
	}
	return m, db, &harness{awsCfg: &cfg}
}

func TestQuota(t *testing.T) {
	_, db, h := newStateTable(t)
	at := time.Date(2026, 11, 27, 10, 0, 10, 0, time.UTC)
	h.now = at
	lim := quota.New(db, stateTable, func(o *quota.Options) { o.Now = func() time.Time { return at } })
	for range 7 {
		if err := lim.Take(t.Context()); err != nil {
			t.Fatal(err)
		}
	}

	r := h.run(t, "quota", "--table", stateTable)
	wantCode(t, r, goalctl.ExitOK)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	want := [][]string{
		{"WINDOW", "LIMIT", "USED", "LEFT", "RESETS", "IN"},
		{"minute", "90", "7", "83", "2026-11-27T10:01:00Z", "50s"},
		{"day", "45000", "7", "44993", "2026-11-28T00:00:00Z", "13h59m50s"},
	}
	if len(lines) != 3 {
		t.Fatalf("stdout:\n%s", r)
	}
	for i, l := range lines {
		if got := strings.Fields(l); strings.Join(got, " ") != strings.Join(want[i], " ") {
			t.Errorf("line %d: %q, want %q", i, got, want[i])
		}
	}

	// JSON, with the budgets from the apply function's environment.
	h.env = map[string]string{goalctl.EnvCallsPerMinute: "60", goalctl.EnvCallsPerDay: "1000", goalctl.EnvStateTable: stateTable}
	r = h.run(t, "quota", "-o", "json")
	wantCode(t, r, goalctl.ExitOK)
	var rep goalctl.QuotaReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("%v\n%s", err, r)
	}
	if rep.Minute != (goalctl.QuotaWindow{Limit: 60, Used: 7, Left: 53, Resets: at.Truncate(time.Minute).Add(time.Minute)}) ||
		rep.Day.Left != 993 || rep.Table != stateTable {
		t.Errorf("report %+v", rep)
	}
	// A flag wins over the environment.
	r = h.run(t, "quota", "-o", "json", "--calls-per-minute", "10")
	_ = json.Unmarshal([]byte(r.stdout), &rep)
	if rep.Minute.Left != 3 {
		t.Errorf("--calls-per-minute 10: %+v", rep.Minute)
	}

	// After a 429 with Retry-After, nothing is left until it ends.
	if err := lim.Penalize(t.Context(), 30*time.Second); err != nil {
		t.Fatal(err)
	}
	h.env = nil
	r = h.run(t, "quota", "--table", stateTable, "-o", "json")
	_ = json.Unmarshal([]byte(r.stdout), &rep)
	if rep.Minute.Left != 0 || !rep.Minute.Resets.After(at.Add(30*time.Second)) {
		t.Errorf("after a 429: %+v", rep.Minute)
	}

	// A table that does not exist is an operation failure.
	r = h.run(t, "quota", "--table", "no-such-table")
	wantCode(t, r, goalctl.ExitFailure)
	if !strings.Contains(r.stderr, "no-such-table") {
		t.Errorf("stderr:\n%s", r)
	}
	// A bad number in the environment is a usage error.
	h.env = map[string]string{goalctl.EnvCallsPerDay: "lots"}
	r = h.run(t, "quota", "--table", stateTable)
	wantCode(t, r, goalctl.ExitUsage)
}

// The real binary, on the real clock: the day counter shows what was taken.
func TestBinaryQuota(t *testing.T) {
	m, db, _ := newStateTable(t)
	lim := quota.New(db, stateTable)
	for range 5 {
		if err := lim.Take(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	r := execGoalctl(t, m.Env(), "quota", "--table", stateTable, "--calls-per-day", "1000", "-o", "json")
	wantCode(t, r, goalctl.ExitOK)
	var rep goalctl.QuotaReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("%v\n%s", err, r)
	}
	if rep.Day.Limit != 1000 || rep.Day.Used != 5 || rep.Day.Left != 995 || rep.Minute.Limit != 90 {
		t.Errorf("report %+v", rep)
	}
}
