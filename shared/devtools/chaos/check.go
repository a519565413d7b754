package chaos

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	goalevents "github.com/goalrelay/goalrelay/events"
	"github.com/goalrelay/goalrelay/shared/apply"
	"github.com/goalrelay/goalrelay/shared/state"
)

var sentName = regexp.MustCompile(`"Name":"(r\d+) v(\d+)"`)

// maxProblems bounds the details kept in a Phase.
const maxProblems = 20

// check fills in the end-state figures of ph:
//   - every DLQ message carries its reason (error_code); the events
//     designed to be refused must be there, any other is unexpected;
//   - every other event is COMPLETE in the state table (applied, merged,
//     or acknowledged as stale or duplicate), else it is lost;
//   - every record has exactly one goal (more: doubled; none: lost), and
//     it holds the newest version not in the DLQ (else a stale end);
//   - the writes that took effect on each record's goal, in order, never
//     go back to an older version (else a stale write);
//   - an event whose write took effect more than once is counted as a
//     repeated write (expected after an answer lost after the call took
//     effect; the goal is the same).
func (u *run) check(ctx context.Context, w *workload, ph *Phase) {
	problem := func(format string, args ...any) {
		if len(ph.Problems) < maxProblems {
			ph.Problems = append(ph.Problems, fmt.Sprintf(format, args...))
		}
	}
	dlq, err := u.dlqMessages(ctx)
	if err != nil {
		problem("reading the DLQ: %v", err)
	}
	ph.DLQ = len(dlq)
	ph.DLQReasons = map[string]int{}
	inDLQ := map[string]bool{}
	for _, m := range dlq {
		var ev goalevents.Event
		if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &ev); err != nil {
			problem("DLQ message %s is not an event: %v", aws.ToString(m.MessageId), err)
			continue
		}
		code := attr(m, apply.AttrErrorCode)
		if code == "" {
			code = "(no reason: redriven after maxReceiveCount)"
			ph.DLQNoReason++
			problem("event %s is in the DLQ without a reason", ev.ID)
		}
		ph.DLQReasons[code]++
		if inDLQ[ev.ID] {
			ph.Doubled++
			problem("event %s is in the DLQ twice", ev.ID)
		}
		inDLQ[ev.ID] = true
		if !w.bad[ev.ID] {
			ph.DLQUnexpected++
			problem("event %s is in the DLQ (%s: %s) but was never meant to fail", ev.ID, code, attr(m, apply.AttrErrorMessage))
		}
	}
	newest := map[string]int{}
	ids := make([]string, 0, len(w.byID))
	for id := range w.byID {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		p := w.byID[id]
		if w.bad[id] {
			if !inDLQ[id] {
				if !ph.Drained {
					ph.Unfinished++
					continue
				}
				ph.Lost++
				problem("refused event %s is not in the DLQ (status %q)", id, u.eventStatus(ctx, p.ev))
			}
			continue
		}
		if inDLQ[id] {
			continue
		}
		if st := u.eventStatus(ctx, p.ev); st != state.StatusComplete {
			if !ph.Drained {
				ph.Unfinished++
				continue
			}
			ph.Lost++
			problem("event %s: neither in the DLQ nor complete (status %q)", id, st)
		}
		newest[p.record] = max(newest[p.record], p.version)
	}

	count := map[string]int{}
	for _, g := range u.sim.Goals() {
		if k, _ := g.Fields[apply.DefaultExternalIDField].(string); k != "" {
			count[k]++
		}
	}
	for _, rec := range w.records {
		key := w.key(rec)
		switch n := count[key]; {
		case n == 0 && !ph.Drained:
			continue
		case n == 0:
			ph.LostGoals++
			problem("record %s has no goal", key)
			continue
		case n > 1:
			ph.Doubled += n - 1
			problem("record %s has %d goals", key, n)
		}
		g, _ := u.sim.GoalByExternalID(key)
		if want := fmt.Sprintf("%s v%d", rec, newest[rec]); ph.Drained && newest[rec] > 0 && g.Name != want {
			ph.StaleEnd++
			problem("record %s ends on %q, want %q (its newest event)", key, g.Name, want)
		}
	}

	last := map[string]int{}
	times := map[string]int{}
	for _, wr := range u.faults.effective() {
		for _, m := range sentName.FindAllSubmatch(wr.Body, -1) {
			rec, v := string(m[1]), atoi(string(m[2]))
			times[fmt.Sprintf("%s v%d", rec, v)]++
			if v < last[rec] {
				ph.StaleWrites++
				problem("record %s: v%d written at %s after v%d had taken effect", rec, v, wr.At.Format("15:04:05.000"), last[rec])
			}
			last[rec] = max(last[rec], v)
			ph.Writes++
		}
	}
	for _, n := range times {
		if n > 1 {
			ph.RepeatedWrites += n - 1
		}
	}
}

// dlqMessages receives every message of the DLQ (once: they stay invisible
// for a minute).
func (u *run) dlqMessages(ctx context.Context) ([]sqstypes.Message, error) {
	var all []sqstypes.Message
	for range 100 {
		out, err := u.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(u.dlqURL),
			MaxNumberOfMessages: 10, VisibilityTimeout: 60, MessageAttributeNames: []string{"All"}})
		if err != nil {
			return all, err
		}
		if len(out.Messages) == 0 {
			break
		}
		all = append(all, out.Messages...)
	}
	return all, nil
}

// eventStatus is the status of an event's claim in the state table (""
// if there is none).
func (u *run) eventStatus(ctx context.Context, ev goalevents.Event) string {
	out, err := u.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(u.table), ConsistentRead: aws.Bool(true),
		Key: map[string]ddbtypes.AttributeValue{state.KeyAttribute: &ddbtypes.AttributeValueMemberS{Value: state.EventPrefix + ev.Identity()}}})
	if err != nil {
		return "error: " + err.Error()
	}
	if v, ok := out.Item["status"].(*ddbtypes.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

func attr(m sqstypes.Message, name string) string {
	if v, ok := m.MessageAttributes[name]; ok {
		return aws.ToString(v.StringValue)
	}
	return ""
}

func atoi(s string) int { n, _ := strconv.Atoi(s); return n }
