package devstack

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/goalrelay/goalrelay/events"
	"github.com/goalrelay/goalrelay/shared/apply"
	"github.com/goalrelay/goalrelay/shared/devtools/awstest"
	"github.com/goalrelay/goalrelay/shared/devtools/rie"
	"github.com/goalrelay/goalrelay/shared/sources"
	"github.com/goalrelay/goalrelay/shared/sources/standardwebhooks"
	"github.com/goalrelay/goalrelay/shared/webhook"
	"github.com/goalrelay/goalrelay/testevents"
)

// Main is goalrelay-local (`make run`): it parses args, starts the stack,
// sends every valid testevents webhook through it, prints what became of
// them and, unless -once, keeps the stack up until ctx ends. It returns the
// process exit code: 0, 1 when the run went wrong (a status other than the
// manifest's, an undrained queue, an unexpected dead letter), 2 for a usage
// error, 130 when interrupted.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("goalrelay-local", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8080", "address of the webhook front (a free port is used if it is taken)")
	once := fs.Bool("once", false, "send the testevents, print the goals and exit (for CI smoke runs)")
	noWait := fs.Bool("no-wait", false, "same as -once")
	verbose := fs.Bool("v", false, "show the functions', the emulator's and the stack's logs")
	perMinute := fs.Int("calls-per-minute", 0, "the apply function's Gainsight calls per minute (0: its default, 90)")
	perDay := fs.Int("calls-per-day", 0, "the apply function's Gainsight calls per day (0: its default, 45000)")
	drain := fs.Duration("drain-timeout", 60*time.Second, "how long to wait for the queue to drain")
	containerHost := fs.String("container-host", "", "also serve moto_server and the simulator at this address of the host, for sam local invoke on Linux (the docker0 bridge's, e.g. 172.17.0.1)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: go run ./cmd/goalrelay-local [flags]\n\n"+
			"Runs goalrelay offline (moto_server, aws-lambda-rie, the Gainsight simulator),\n"+
			"sends every valid testevents webhook through it and prints the resulting goals.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "goalrelay-local: unexpected arguments %q\n", fs.Args())
		return 2
	}
	exitAfter := *once || *noWait

	root, err := rie.ModuleRoot(".")
	if err != nil {
		fmt.Fprintln(stderr, "goalrelay-local:", err)
		return 1
	}
	var logs io.Writer
	if *verbose {
		logs = stderr
	}
	fmt.Fprintln(stdout, "goalrelay-local: building the bootstraps and starting the stack (the first run compiles for a while)...")
	began := time.Now()
	st, err := Start(ctx, Options{
		FrontAddr:      *addr,
		FrontFallback:  true,
		CallsPerMinute: *perMinute,
		CallsPerDay:    *perDay,
		Output:         logs,
		BinDir:         filepath.Join(root, "bin", "local"),
		Root:           root,
		KeepRunning:    !exitAfter,
		ContainerHost:  *containerHost,
	})
	if err != nil {
		fmt.Fprintln(stderr, "goalrelay-local:", err)
		return 1
	}
	defer st.Close()
	fmt.Fprintf(stdout, "stack up in %s: front %s, Gainsight simulator %s, moto_server %s\n\n",
		time.Since(began).Round(100*time.Millisecond), st.FrontURL, st.SimulatorURL, st.MotoURL)

	set, err := testevents.Generate(time.Now(), root)
	if err != nil {
		fmt.Fprintln(stderr, "goalrelay-local:", err)
		return 1
	}
	sum, err := sendAll(ctx, st, set, stdout)
	if err != nil {
		fmt.Fprintln(stderr, "goalrelay-local:", err)
		return 1
	}
	drainErr := st.WaitDrained(ctx, *drain)
	if ctx.Err() != nil {
		return 130
	}
	// Permanent failures are sent to the DLQ by the function itself; give
	// its depth a moment to settle after the last delete.
	select {
	case <-ctx.Done():
		return 130
	case <-time.After(300 * time.Millisecond):
	}
	printGoals(stdout, st)
	dlq := printDLQ(ctx, stdout, st, set.DeadLetters())
	code := printSummary(ctx, stdout, st, sum, drainErr, dlq)
	if err := demoReadBackAndSweep(ctx, st, stdout, *drain); err != nil {
		if ctx.Err() != nil {
			return 130
		}
		fmt.Fprintf(stdout, "  FAIL: %v\n\n", err)
		code = 1
	}
	if exitAfter {
		return code
	}

	printHowTo(stdout, st.FrontURL)
	fmt.Fprintln(stdout, GoalsFetchLine(st.SimulatorURL, st.Simulator.AccessKey))
	if sam, err := st.SAMStack(); err == nil {
		// The module-relative path the printed command names.
		const envFile = "bin/local/sam-env.json"
		if err := WriteSAMEnv(filepath.Join(root, envFile), sam); err != nil {
			fmt.Fprintln(stderr, "goalrelay-local:", err)
		} else {
			fmt.Fprintln(stdout, SAMInvokeLines(envFile, *containerHost))
		}
	}
	if key := st.BusiestRecord(ctx); key != "" {
		fmt.Fprintln(stdout, EventsLine(st.MotoURL, st.TableName, key))
	}
	fmt.Fprintln(stdout, "Press Ctrl-C to stop.")
	<-ctx.Done()
	fmt.Fprintln(stdout, "\ngoalrelay-local: stopping every process it started...")
	return 0
}

type summary struct {
	requests, mismatches, queued int
	statuses                     map[int]int
}

// sendAll posts every valid ingest testevent (status 200 in the manifest)
// to the front.
func sendAll(ctx context.Context, st *Stack, set *testevents.Set, w io.Writer) (summary, error) {
	sum := summary{statuses: map[int]int{}}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "WEBHOOK\tSOURCE\tSTATUS\tQUEUED\tANSWER")
	for _, f := range set.Ingest() {
		if f.Status != http.StatusOK {
			continue
		}
		rep, err := st.Send(ctx, f)
		if err != nil {
			return sum, err
		}
		sum.requests++
		sum.statuses[rep.Status]++
		sum.queued += f.Queued
		mark := ""
		if rep.Status != f.Status {
			sum.mismatches++
			mark = fmt.Sprintf("  (expected %d)", f.Status)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s%s\n", f.File, f.Source, rep.Status, f.Queued, oneLine(rep.Body, 60), mark)
	}
	tw.Flush()
	fmt.Fprintln(w)
	return sum, nil
}

func printGoals(w io.Writer, st *Stack) {
	companies := map[string]string{}
	for _, n := range []string{"IBM", "Acme Corp", "Globex", "Initech", "Umbrella Corporation", "Meta", "NEW"} {
		if id := st.Simulator.CompanyID(n); id != "" {
			companies[id] = n
		}
	}
	goals := st.NewGoals()
	fmt.Fprintf(w, "Goals goalrelay wrote to the simulated Gainsight (%d; the tenant's seed goals are not shown):\n", len(goals))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSTATUS\tCOMPANY\tEXTERNAL ID\tGSID")
	for _, g := range goals {
		company := companies[g.CompanyID]
		if company == "" {
			company = g.CompanyID
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", oneLine(g.Name, 40), g.StatusName, company,
			g.Field(apply.DefaultExternalIDField), g.Gsid)
	}
	tw.Flush()
	fmt.Fprintln(w)
}

// dlqReport is what printDLQ found.
type dlqReport struct {
	// listed is the number of messages read (-1 when the DLQ cannot be
	// read); deliberate how many of them the testevents manifest expects
	// there; unexpected the others; missing the expected ones not seen.
	listed, deliberate, unexpected, missing int
}

// printDLQ lists the dead-lettered events with their reasons, marking the
// deliberate failures of the testevents (want, by event id) and explaining
// them.
func printDLQ(ctx context.Context, w io.Writer, st *Stack, want []testevents.DeadLetter) dlqReport {
	msgs, err := st.Peek(ctx, st.DLQURL)
	if err != nil {
		fmt.Fprintf(w, "DLQ: cannot read it: %v\n\n", err)
		return dlqReport{listed: -1}
	}
	expected := map[string]testevents.DeadLetter{}
	for _, d := range want {
		expected[d.EventID] = d
	}
	rep := dlqReport{listed: len(msgs)}
	if len(msgs) == 0 {
		fmt.Fprintln(w, "DLQ: empty.")
	} else {
		fmt.Fprintf(w, "Events in the DLQ (%d), with the reason the apply function recorded:\n", len(msgs))
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "EVENT\tSOURCE\tERROR CODE\tERROR MESSAGE\tEXPECTED")
		seen := map[string]bool{}
		for _, m := range msgs {
			a := m.Attributes
			id := a[apply.AttrEventID]
			mark := "UNEXPECTED"
			if d, ok := expected[id]; ok && d.ErrorCode == a[apply.AttrErrorCode] {
				mark = "deliberate"
				rep.deliberate++
				seen[id] = true
			} else {
				rep.unexpected++
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", oneLine(id, 48), a[apply.AttrSource], a[apply.AttrErrorCode],
				oneLine(a[apply.AttrErrorMessage], 80), mark)
		}
		tw.Flush()
		for _, d := range want {
			if !seen[d.EventID] {
				rep.missing++
			}
		}
	}
	if len(want) > 0 {
		fmt.Fprintln(w, "\nDeliberate permanent failures among the testevents (bad examples, kept to show the DLQ and its reasons):")
		for _, d := range want {
			fmt.Fprintf(w, "  - %s (%s): %s\n", d.EventID, d.ErrorCode, d.Why)
		}
	}
	fmt.Fprintln(w)
	return rep
}

func printSummary(ctx context.Context, w io.Writer, st *Stack, sum summary, drainErr error, dlq dlqReport) int {
	code := 0
	var statuses []string
	keys := make([]int, 0, len(sum.statuses))
	for k := range sum.statuses {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	for _, k := range keys {
		statuses = append(statuses, fmt.Sprintf("%d×%d", sum.statuses[k], k))
	}
	goals := len(st.NewGoals())
	esm := st.ESM()
	fmt.Fprintln(w, "Summary:")
	fmt.Fprintf(w, "  webhooks sent:     %d (statuses: %s)\n", sum.requests, strings.Join(statuses, ", "))
	fmt.Fprintf(w, "  events queued:     %d\n", sum.queued)
	fmt.Fprintf(w, "  apply batches:     %d messages received, %d deleted, %d reported as failures, %d failed invocations\n",
		esm.Received, esm.Deleted, esm.Failed, esm.InvokeErrors)
	fmt.Fprintf(w, "  goals in Gainsight: %d written by goalrelay\n", goals)
	if d, err := st.QueueDepth(ctx, st.QueueURL); err == nil {
		fmt.Fprintf(w, "  queue depth:       %d\n", d.Total())
	}
	if d, err := st.QueueDepth(ctx, st.DLQURL); err == nil {
		fmt.Fprintf(w, "  DLQ depth:         %d (permanent failures, reasons above: %d deliberate bad examples, %d unexpected)\n",
			d.Total(), dlq.deliberate, dlq.unexpected)
		if dlq.listed >= 0 && dlq.listed < d.Total() {
			fmt.Fprintf(w, "                     (%d listed: a FIFO queue's locked groups cannot be read without consuming them)\n", dlq.listed)
		}
	}
	if dlq.unexpected > 0 {
		fmt.Fprintf(w, "  FAIL: %d events in the DLQ that no testevent expects there\n", dlq.unexpected)
		code = 1
	}
	if dlq.missing > 0 {
		fmt.Fprintf(w, "  FAIL: %d deliberate failures of the testevents are not in the DLQ\n", dlq.missing)
		code = 1
	}
	if sum.mismatches > 0 {
		fmt.Fprintf(w, "  FAIL: %d webhooks got another status than the manifest's\n", sum.mismatches)
		code = 1
	}
	if drainErr != nil {
		fmt.Fprintf(w, "  FAIL: %v\n", drainErr)
		code = 1
	}
	fmt.Fprintln(w)
	return code
}

func printHowTo(w io.Writer, front string) {
	body := `{"specversion":"1.0","id":"evt-curl-1","source":"generic/curl","type":"goal.upserted","subject":"goal/curl-1",` +
		`"time":"2026-01-01T00:00:00Z","data":{"externalId":"curl-1","fields":{"Name":"Goal sent with curl",` +
		`"StatusName":"On Track","GoalTypeName":"Adoption","EntityType":"COMPANY","CompanyName":"Acme Corp","DueDate":"2026-12-31"}}}`
	id := "msg_curl_1"
	// Standard Webhooks signatures are valid for five minutes; the example
	// carries a fresh one and shows how to make another.
	gen := &standardwebhooks.Source
	secret, _ := json.Marshal(map[string]string{"secret": testevents.GenericSecret})
	h, err := gen.Sign(secret, webhook.Delivery{Body: []byte(body), Time: time.Now(), ID: id})
	delete(h, "Content-Type")
	fmt.Fprintf(w, "goalrelay is running. Webhooks: POST %s/webhooks/{%s}\n", front, strings.Join(sources.Names(), "|"))
	fmt.Fprintf(w, "Test secrets: testevents/secrets.json. Gainsight goals: rerun with -v to watch the functions' logs.\n\n")
	if err == nil {
		fmt.Fprintln(w, "Send a goal with the generic (Standard Webhooks) source; the signature below is valid for 5 minutes:")
		fmt.Fprintf(w, "\n  curl -i -X POST %s/webhooks/%s \\\n    -H 'content-type: application/json' \\\n", front, gen.Name)
		keys := make([]string, 0, len(h))
		for k := range h {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(w, "    -H '%s: %s' \\\n", k, h[k])
		}
		fmt.Fprintf(w, "    --data-binary '%s'\n\n", body)
	}
	fmt.Fprintln(w, "Or let goalctl sign a sample webhook of any source with the test secrets:")
	fmt.Fprintln(w)
	public := strings.Replace(front, "http://", "https://", 1)
	for _, src := range sources.All() {
		fmt.Fprintf(w, "  go run ./cmd/goalctl send %[1]s --url %[2]s/webhooks/%[1]s --public-url %[3]s/webhooks/%[1]s \\\n    --secrets testevents/secrets.json\n",
			src.Name, front, public)
	}
	fmt.Fprintln(w, "\n(The front passes the Host header on as requestContext.domainName, and the ingest function verifies")
	fmt.Fprintln(w, "signatures that cover the URL against https://<Host>/webhooks/<source>, as behind API Gateway.)")
}

// GoalsFetchLine is the goalctl command that lists the goals goalrelay
// wrote to the simulated tenant at url, whose access key is a throwaway
// of this run (the simulator's own, never a real tenant's).
func GoalsFetchLine(url, key string) string {
	return "\nQuery the simulated Gainsight (a throwaway key of this run):\n\n" +
		"  GAINSIGHT_BASE_URL=" + url + " GAINSIGHT_ACCESS_KEY=" + key + " \\\n" +
		"    go run ./cmd/goalctl goals fetch --where '" + events.DefaultExternalIDField + " IS_NOT_NULL' \\\n" +
		"    --select Gsid,Name," + events.DefaultExternalIDField
}

// EventsLine is the goalctl command that prints the story of a record's
// events from the local state table (on moto_server at motoURL, with the
// emulator's throwaway credentials).
func EventsLine(motoURL, table, recordKey string) string {
	return "\nWhat became of the events of one goal it wrote (the local state table):\n\n" +
		"  AWS_ENDPOINT_URL_DYNAMODB=" + motoURL + " AWS_REGION=" + awstest.Region +
		" AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test \\\n" +
		"    go run ./cmd/goalctl events --record '" + recordKey + "' --table " + table
}

func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		s = s[:n-1] + "…"
	}
	return s
}
