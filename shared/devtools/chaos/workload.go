package chaos

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	goalevents "github.com/goalrelay/goalrelay/events"
	"github.com/goalrelay/goalrelay/shared/queue"
	"github.com/goalrelay/goalrelay/shared/sources/standardwebhooks"
	"github.com/goalrelay/goalrelay/testevents"
)

// Source is the CloudEvents source of the workload's events (the generic
// webhook source's namespace).
const Source = "generic/chaos"

// workload is the events of a run: records × versions of goal upserts,
// each version a full goal named "<record> v<version>" so that any of
// them can create the goal and the goal tells which one it holds.
type workload struct {
	records  []string
	versions int
	byID     map[string]planned
	bad      map[string]bool // event ids designed to be refused
	base     time.Time
	run      string // distinguishes the ids of the two runs
}

type planned struct {
	ev      goalevents.Event
	record  string
	version int
}

func newWorkload(run string, records, versions, bad int, base time.Time) *workload {
	w := &workload{versions: versions, byID: map[string]planned{}, bad: map[string]bool{}, base: base, run: run}
	for r := range records {
		rec := fmt.Sprintf("r%02d", r)
		w.records = append(w.records, rec)
		for v := 1; v <= versions; v++ {
			ev := w.event(rec, v)
			w.byID[ev.ID] = planned{ev: ev, record: rec, version: v}
		}
	}
	// Bad events: version 2 (never the newest when there are 3 or more) of
	// records spread over the workload.
	if versions >= 2 {
		for i := range min(max(bad, 0), records) {
			rec := w.records[(3+i*7)%records]
			p := w.byID[w.id(rec, 2)]
			if w.bad[p.ev.ID] {
				continue
			}
			p.ev.Data.Fields["StatusName"] = "Lost Forever"
			w.bad[p.ev.ID] = true
			w.byID[p.ev.ID] = p
		}
	}
	return w
}

func (w *workload) id(rec string, v int) string { return fmt.Sprintf("%s-%s-v%d", w.run, rec, v) }

func (w *workload) event(rec string, v int) goalevents.Event {
	return goalevents.Event{SpecVersion: "1.0", ID: w.id(rec, v), Source: Source, Type: goalevents.GoalUpserted,
		Subject: rec, Time: w.base.Add(time.Duration(v) * time.Second), DataContentType: "application/json",
		Data: goalevents.Data{ExternalID: rec, Fields: map[string]any{
			"Name": fmt.Sprintf("%s v%d", rec, v), "StatusName": "On Track", "GoalTypeName": "Default",
			"EntityType": "COMPANY", "CompanyName": "IBM", "DueDate": "2027-12-31",
			"crm_stage__gc": "won", "cust_string_value__gc": fmt.Sprintf("v%d", v),
		}}}
}

func (w *workload) key(rec string) string { return Source + ":" + rec }

// rounds returns the versions sent in each webhook round: 1 and 2; 4 to
// the last; 3 (out of order).
func (w *workload) rounds() [][]int {
	first := []int{1}
	if w.versions >= 2 {
		first = append(first, 2)
	}
	out := [][]int{first}
	var later []int
	for v := 4; v <= w.versions; v++ {
		later = append(later, v)
	}
	if len(later) > 0 {
		out = append(out, later)
	}
	if w.versions >= 3 {
		out = append(out, []int{3})
	}
	return out
}

// duplicates returns the events sent again under new deduplication ids:
// version 1 of every third record and the newest version of the next.
func (w *workload) duplicates() []goalevents.Event {
	var out []goalevents.Event
	for i, rec := range w.records {
		switch i % 3 {
		case 0:
			out = append(out, w.byID[w.id(rec, 1)].ev)
		case 1:
			if w.versions > 1 {
				out = append(out, w.byID[w.id(rec, w.versions)].ev)
			}
		}
	}
	return out
}

// sender delivers the workload: rounds of signed webhooks to the front
// (one webhook per record and round, its versions in order) and the
// duplicates straight to the queue.
type sender struct {
	front    string // webhook front base URL
	sqs      *sqs.Client
	queueURL string
	http     *http.Client
	seq      int
}

// webhook posts the events as one generic webhook; it returns an error
// unless the answer is 200.
func (s *sender) webhook(ctx context.Context, evs []goalevents.Event) error {
	body, err := json.Marshal(evs)
	if err != nil {
		return err
	}
	s.seq++
	h, err := standardwebhooks.SignedHeaders(testevents.GenericSecret, fmt.Sprintf("msg_chaos_%d_%d", time.Now().UnixNano(), s.seq), time.Now(), body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.front+"/webhooks/generic", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range h {
		req.Header.Set(k, v)
	}
	resp, err := s.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("webhook: status %d: %s", resp.StatusCode, b)
	}
	return nil
}

// redeliver sends an event again under a new deduplication id, as a CRM
// retry after the FIFO queue's five-minute window: same event id, same
// group, a message SQS does not deduplicate.
func (s *sender) redeliver(ctx context.Context, ev goalevents.Event) error {
	body, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	_, err = s.sqs.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(s.queueURL), MessageBody: aws.String(string(body)),
		MessageGroupId: aws.String(queue.FIFOID(ev.RecordKey())), MessageDeduplicationId: aws.String(queue.FIFOID(ev.ID + "#late-duplicate")),
		MessageAttributes: map[string]sqstypes.MessageAttributeValue{
			queue.AttrEventType: {DataType: aws.String("String"), StringValue: aws.String(string(ev.Type))},
			queue.AttrSource:    {DataType: aws.String("String"), StringValue: aws.String(ev.Source)},
		}})
	return err
}

// deliver sends the whole workload, gap between rounds, and returns the
// number of messages queued (webhook events plus duplicates).
func (s *sender) deliver(ctx context.Context, w *workload, gap time.Duration) (int, error) {
	n := 0
	for i, round := range w.rounds() {
		if i > 0 {
			if err := sleepCtx(ctx, gap); err != nil {
				return n, err
			}
		}
		for _, rec := range w.records {
			var evs []goalevents.Event
			for _, v := range round {
				evs = append(evs, w.byID[w.id(rec, v)].ev)
			}
			if err := s.webhook(ctx, evs); err != nil {
				return n, fmt.Errorf("record %s, versions %v: %w", rec, round, err)
			}
			n += len(evs)
		}
	}
	if err := sleepCtx(ctx, gap); err != nil {
		return n, err
	}
	for _, ev := range w.duplicates() {
		if err := s.redeliver(ctx, ev); err != nil {
			return n, fmt.Errorf("late duplicate %s: %w", ev.ID, err)
		}
		n++
	}
	return n, nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
