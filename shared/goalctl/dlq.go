package goalctl

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/spf13/cobra"

	"github.com/goalrelay/goalrelay/events"
	"github.com/goalrelay/goalrelay/shared/apply"
	"github.com/goalrelay/goalrelay/shared/queue"
)

// sqsAPI is the part of the SQS client the dlq commands use.
type sqsAPI interface {
	GetQueueAttributes(ctx context.Context, in *sqs.GetQueueAttributesInput, optFns ...func(*sqs.Options)) (*sqs.GetQueueAttributesOutput, error)
	ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, optFns ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	ChangeMessageVisibilityBatch(ctx context.Context, in *sqs.ChangeMessageVisibilityBatchInput, optFns ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityBatchOutput, error)
	SendMessage(ctx context.Context, in *sqs.SendMessageInput, optFns ...func(*sqs.Options)) (*sqs.SendMessageOutput, error)
	DeleteMessage(ctx context.Context, in *sqs.DeleteMessageInput, optFns ...func(*sqs.Options)) (*sqs.DeleteMessageOutput, error)
	StartMessageMoveTask(ctx context.Context, in *sqs.StartMessageMoveTaskInput, optFns ...func(*sqs.Options)) (*sqs.StartMessageMoveTaskOutput, error)
	ListMessageMoveTasks(ctx context.Context, in *sqs.ListMessageMoveTasksInput, optFns ...func(*sqs.Options)) (*sqs.ListMessageMoveTasksOutput, error)
}

func (a *app) sqsClient(ctx context.Context) (sqsAPI, error) {
	cfg, err := a.awsConfig(ctx)
	if err != nil {
		return nil, err
	}
	if a.newSQS != nil {
		return a.newSQS(cfg), nil
	}
	return sqs.NewFromConfig(cfg), nil
}

// Timings of the dlq commands.
var (
	// receiveWait is the long poll of each receive: an empty answer after
	// it means the queue has no more visible messages.
	receiveWait int32 = 1
	// listHold is how long dlq list keeps a message invisible at most; it
	// gives every message back (visibility 0) as soon as the listing is done.
	listHold int32 = 30
	// moveHold is how long a message being moved is invisible at most.
	moveHold int32 = 60
)

// defaultTaskPoll is how often dlq redrive --wait asks about a move task
// (redriver.taskPoll when zero).
const defaultTaskPoll = 2 * time.Second

func newDLQCommand(a *app) *cobra.Command {
	dlq := &cobra.Command{
		Use:   "dlq",
		Short: "Inspect and redrive the dead-letter queue",
		Long: `The apply function sends an event it can never apply (a Gainsight validation
error, an unknown status or company) to the FIFO DLQ, with the reason as
message attributes. List them, fix the cause, then redrive them.`,
		Args: groupArgs,
		RunE: groupRunE,
	}
	dlq.AddCommand(newDLQListCommand(a), newDLQRedriveCommand(a))
	return dlq
}

type dlqListFlags struct {
	dlqURL string
	max    int
	output *string
}

func newDLQListCommand(a *app) *cobra.Command {
	f := &dlqListFlags{}
	cmd := &cobra.Command{
		Use:   "list (--dlq-url URL | --stack NAME) [--max N]",
		Short: "List DLQ messages with the reason each one is there, without removing them",
		Long: `List receives up to --max messages from the DLQ and prints, for each, the
event (id, type, source) and why it failed (error code and message, the
Gainsight request id, the number of attempts). Nothing is deleted: the
messages are held invisible only while the listing runs and are then made
visible again at once.`,
		Example: `  goalctl dlq list --stack goalrelay
  goalctl dlq list --dlq-url https://sqs.eu-west-1.amazonaws.com/123456789012/goalrelay-dlq.fifo
  goalctl dlq list --stack goalrelay --max 500 -o json | jq '.[].errorMessage'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDLQList(cmd.Context(), a, f)
		},
	}
	cmd.Flags().StringVar(&f.dlqURL, "dlq-url", "", "URL of the dead-letter queue (default: the stack's "+OutputDLQURL+")")
	cmd.Flags().IntVar(&f.max, "max", 100, "list at most N messages")
	f.output = addOutputFlag(cmd)
	return cmd
}

// DLQMessage is one listed DLQ message.
type DLQMessage struct {
	MessageID         string          `json:"messageId"`
	GroupID           string          `json:"groupId,omitempty"`
	SentAt            *time.Time      `json:"sentAt,omitempty"`
	EventID           string          `json:"eventId,omitempty"`
	EventType         string          `json:"eventType,omitempty"`
	Source            string          `json:"source,omitempty"`
	ErrorCode         string          `json:"errorCode,omitempty"`
	ErrorMessage      string          `json:"errorMessage,omitempty"`
	RequestID         string          `json:"gainsightRequestId,omitempty"`
	Attempts          string          `json:"attempts,omitempty"`
	OriginalMessageID string          `json:"originalMessageId,omitempty"`
	Body              json.RawMessage `json:"body"`
}

func runDLQList(ctx context.Context, a *app, f *dlqListFlags) error {
	if err := checkOutput(*f.output); err != nil {
		return err
	}
	if f.max < 1 {
		return usageErrorf("--max must be at least 1")
	}
	if err := a.require(ctx, &f.dlqURL, "dlq-url", OutputDLQURL); err != nil {
		return err
	}
	client, err := a.sqsClient(ctx)
	if err != nil {
		return err
	}
	msgs, err := listDLQ(ctx, client, f.dlqURL, f.max, a.env.Stderr)
	if err != nil {
		return err
	}
	if err := printDLQ(a.env.Stdout, *f.output, msgs); err != nil {
		return err
	}
	more := ""
	if total, ok := approximateCount(ctx, client, f.dlqURL); ok && total > len(msgs) {
		more = fmt.Sprintf(" (the DLQ holds about %d", total)
		if len(msgs) >= f.max {
			more += "; raise --max"
		} else {
			more += "; a FIFO queue shows no more of a message group until its first messages are redriven"
		}
		more += ")"
	} else if len(msgs) >= f.max {
		more = " (there may be more: raise --max)"
	}
	fmt.Fprintf(a.env.Stderr, "%d message(s) in the DLQ%s\n", len(msgs), more)
	return nil
}

func printDLQ(out io.Writer, format string, msgs []DLQMessage) error {
	if format == outputJSON {
		if msgs == nil {
			msgs = []DLQMessage{}
		}
		return writeJSON(out, msgs)
	}
	t := newTable(out, "SENT", "EVENT ID", "TYPE", "SOURCE", "ERROR CODE", "ERROR", "REQUEST ID", "ATTEMPTS")
	for _, m := range msgs {
		sent := ""
		if m.SentAt != nil {
			sent = m.SentAt.Format(time.RFC3339)
		}
		t.row(sent, m.EventID, m.EventType, m.Source, m.ErrorCode, m.ErrorMessage, m.RequestID, m.Attempts)
	}
	return t.flush()
}

// approximateCount is SQS's estimate of the messages in a queue, visible
// or not.
func approximateCount(ctx context.Context, client sqsAPI, url string) (int, bool) {
	out, err := client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(url),
		AttributeNames: []types.QueueAttributeName{
			types.QueueAttributeNameApproximateNumberOfMessages, types.QueueAttributeNameApproximateNumberOfMessagesNotVisible,
		},
	})
	if err != nil {
		return 0, false
	}
	n := 0
	for _, k := range []types.QueueAttributeName{types.QueueAttributeNameApproximateNumberOfMessages, types.QueueAttributeNameApproximateNumberOfMessagesNotVisible} {
		v, err := strconv.Atoi(out.Attributes[string(k)])
		if err != nil {
			return 0, false
		}
		n += v
	}
	return n, true
}

// listDLQ receives up to max messages, holding each invisible only until
// the listing is done, then makes them all visible again.
func listDLQ(ctx context.Context, client sqsAPI, url string, max int, warn io.Writer) (_ []DLQMessage, err error) {
	var out []DLQMessage
	var handles []string
	seen := map[string]bool{}
	defer func() {
		// Give every message back, even after an error or Ctrl-C.
		if rerr := release(context.WithoutCancel(ctx), client, url, handles); rerr != nil {
			fmt.Fprintf(warn, "goalctl: warning: %v; the messages become visible again within %ds\n", rerr, listHold)
		}
	}()
	for len(out) < max {
		res, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl:                    aws.String(url),
			MaxNumberOfMessages:         int32(min(10, max-len(out))),
			VisibilityTimeout:           listHold,
			WaitTimeSeconds:             receiveWait,
			MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
			MessageAttributeNames:       []string{"All"},
		})
		if err != nil {
			return nil, fmt.Errorf("receive from the DLQ: %w", err)
		}
		if len(res.Messages) == 0 {
			break
		}
		fresh := 0
		for _, m := range res.Messages {
			handles = append(handles, aws.ToString(m.ReceiptHandle))
			if seen[aws.ToString(m.MessageId)] {
				continue
			}
			seen[aws.ToString(m.MessageId)] = true
			fresh++
			out = append(out, describe(m))
		}
		if fresh == 0 {
			break
		}
	}
	return out, nil
}

func describe(m types.Message) DLQMessage {
	attr := func(name string) string {
		if v, ok := m.MessageAttributes[name]; ok {
			return aws.ToString(v.StringValue)
		}
		return ""
	}
	d := DLQMessage{
		MessageID:         aws.ToString(m.MessageId),
		GroupID:           m.Attributes[string(types.MessageSystemAttributeNameMessageGroupId)],
		EventID:           attr(apply.AttrEventID),
		EventType:         attr(apply.AttrEventType),
		Source:            attr(apply.AttrSource),
		ErrorCode:         attr(apply.AttrErrorCode),
		ErrorMessage:      attr(apply.AttrErrorMessage),
		RequestID:         attr(apply.AttrRequestID),
		Attempts:          attr(apply.AttrAttempts),
		OriginalMessageID: attr(apply.AttrOriginalMsgID),
	}
	if ms, err := strconv.ParseInt(m.Attributes[string(types.MessageSystemAttributeNameSentTimestamp)], 10, 64); err == nil {
		t := time.UnixMilli(ms).UTC()
		d.SentAt = &t
	}
	body := aws.ToString(m.Body)
	if json.Valid([]byte(body)) {
		d.Body = json.RawMessage(body)
	} else {
		d.Body, _ = json.Marshal(body)
	}
	// A message without reason attributes (moved by hand, or redriven by
	// SQS itself from the source queue) still says what event it holds.
	if d.EventID == "" {
		if evs, err := events.Decode([]byte(body)); err == nil && len(evs) == 1 {
			d.EventID, d.EventType, d.Source = evs[0].ID, string(evs[0].Type), evs[0].Source
		}
	}
	return d
}

// release makes messages visible again (visibility timeout 0).
func release(ctx context.Context, client sqsAPI, url string, handles []string) error {
	var failed int
	var last error
	for start := 0; start < len(handles); start += 10 {
		end := min(start+10, len(handles))
		in := &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: aws.String(url)}
		for i, h := range handles[start:end] {
			in.Entries = append(in.Entries, types.ChangeMessageVisibilityBatchRequestEntry{
				Id: aws.String("m" + strconv.Itoa(i)), ReceiptHandle: aws.String(h), VisibilityTimeout: 0,
			})
		}
		res, err := client.ChangeMessageVisibilityBatch(ctx, in)
		if err != nil {
			failed += end - start
			last = err
			continue
		}
		failed += len(res.Failed)
	}
	if failed > 0 {
		if last != nil {
			return fmt.Errorf("could not make %d message(s) visible again: %w", failed, last)
		}
		return fmt.Errorf("could not make %d message(s) visible again", failed)
	}
	return nil
}

// Redrive methods.
const (
	MethodAuto        = "auto"
	MethodMoveTask    = "move-task"
	MethodReceiveSend = "receive-send"
)

type redriveFlags struct {
	dlqURL       string
	queueURL     string
	maxPerSecond int
	max          int
	method       string
	wait         bool
	ids          []string
	errorCodes   []string
	output       *string
}

func newDLQRedriveCommand(a *app) *cobra.Command {
	f := &redriveFlags{}
	cmd := &cobra.Command{
		Use:   "redrive (--dlq-url URL --queue-url URL | --stack NAME) [--id EVENT_ID ... | --error-code CODE ...] [--max-per-second N]",
		Short: "Move the DLQ's messages, all or a selection, back to the events queue",
		Long: `Redrive moves the messages of the DLQ back to the events queue, after the
cause (mapping, picklist, company name) has been fixed: every message, or
with --id and --error-code only those selected.

It starts an SQS message move task (StartMessageMoveTask, from the DLQ's ARN
to the queue's) and, with --wait (the default), follows it until it ends.
Where SQS does not offer move tasks (emulators such as moto_server), or with
--method receive-send, it moves the messages itself: receive from the DLQ,
send to the queue with the same body, message group and attributes (and a
deduplication id made from the message id and a per-run nonce, so that FIFO
deduplication cannot swallow a real redrive), and delete from the DLQ only
after the send succeeded. A failure stops the move and gives the messages
not yet moved back to the DLQ: nothing is lost.

Selective redrive: --id EVENT_ID (the event id dlq list shows, or the DLQ
message id; repeatable) and --error-code CODE (repeatable) select messages;
with both, a message must match one of the ids and one of the codes. A
selection always moves by receive, send and delete (a move task moves
everything). Within a FIFO message group order is kept: a selected message
never overtakes an earlier message of its group that stays in the DLQ. So
once a message of a group is not selected, the later messages of that
group stay in the DLQ too, in order, and those that were selected are
reported as held back, with the event they wait behind: select that one
as well (--id) to move them together, in order.

Exit status 3 when some messages moved and then something failed, or when
some selected messages were held back or some --id was not found (1 when
none moved).`,
		Example: `  goalctl dlq redrive --dlq-url "$DLQ_URL" --queue-url "$QUEUE_URL"
  goalctl dlq redrive --stack goalrelay --max-per-second 5
  goalctl dlq redrive --stack goalrelay --error-code INVALID_STATUS_NAME
  goalctl dlq redrive --stack goalrelay --id hubspot:62515:deal:901:1764237600000 --id hubspot:62515:deal:901:1764237700000
  goalctl dlq redrive --dlq-url "$DLQ_URL" --queue-url "$QUEUE_URL" --method receive-send --max 10`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runRedrive(cmd.Context(), a, f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.dlqURL, "dlq-url", "", "URL of the dead-letter queue (default: the stack's "+OutputDLQURL+")")
	fl.StringVar(&f.queueURL, "queue-url", "", "URL of the events queue to move the messages to (default: the stack's "+OutputQueueURL+")")
	fl.IntVar(&f.maxPerSecond, "max-per-second", 0, "move at most N messages per second (0: SQS's adaptive rate; at most 500)")
	fl.IntVar(&f.max, "max", 0, "receive-send only: move at most N messages (0: all)")
	fl.StringVar(&f.method, "method", MethodAuto, "auto (move task, else receive-send), move-task or receive-send")
	fl.BoolVar(&f.wait, "wait", true, "wait for a move task to finish and report how many messages moved")
	fl.StringArrayVar(&f.ids, "id", nil, "move only the message of this event id (or DLQ message id); repeatable")
	fl.StringArrayVar(&f.errorCodes, "error-code", nil, "move only messages with this error_code; repeatable")
	f.output = addOutputFlag(cmd)
	return cmd
}

// RedriveResult is what dlq redrive reports.
type RedriveResult struct {
	Method     string `json:"method"`
	Moved      int64  `json:"moved"`
	ToMove     *int64 `json:"toMove,omitempty"`
	TaskHandle string `json:"taskHandle,omitempty"`
	TaskStatus string `json:"taskStatus,omitempty"`
	// MovedIDs are the event ids (else message ids) moved by a selective
	// redrive, in the order they were sent.
	MovedIDs []string `json:"movedIds,omitempty"`
	// NotSelected counts the messages a selective redrive looked at and
	// left in the DLQ because they did not match.
	NotSelected int64 `json:"notSelected,omitempty"`
	// HeldBack are selected messages left in the DLQ because an earlier
	// message of their FIFO group was not selected.
	HeldBack []HeldBack `json:"heldBack,omitempty"`
	// NotFound are the --id values that matched no message seen.
	NotFound []string `json:"notFound,omitempty"`
	Error    string   `json:"error,omitempty"`
}

// HeldBack is a selected DLQ message that stayed in the DLQ to keep its
// FIFO group's order.
type HeldBack struct {
	EventID   string `json:"eventId,omitempty"`
	MessageID string `json:"messageId"`
	GroupID   string `json:"groupId"`
	// Behind is the event id (else message id) of the earlier message of
	// the group that was not selected.
	Behind string `json:"behind"`
}

// selection is what --id and --error-code select; nil selects everything.
type selection struct {
	ids   map[string]bool
	codes []string
}

func newSelection(ids, codes []string) (*selection, error) {
	if len(ids) == 0 && len(codes) == 0 {
		return nil, nil
	}
	s := &selection{}
	if len(ids) > 0 {
		s.ids = map[string]bool{}
	}
	for _, id := range ids {
		if id = strings.TrimSpace(id); id == "" {
			return nil, usageErrorf("--id must not be empty")
		}
		s.ids[id] = true
	}
	for _, c := range codes {
		if c = strings.TrimSpace(c); c == "" {
			return nil, usageErrorf("--error-code must not be empty")
		}
		s.codes = append(s.codes, c)
	}
	return s, nil
}

// match reports whether m is selected, and by which --id.
func (s *selection) match(m DLQMessage) (ok bool, byID string) {
	if s.ids != nil {
		switch {
		case m.EventID != "" && s.ids[m.EventID]:
			byID = m.EventID
		case s.ids[m.MessageID]:
			byID = m.MessageID
		default:
			return false, ""
		}
	}
	if len(s.codes) > 0 && !slices.ContainsFunc(s.codes, func(c string) bool { return strings.EqualFold(c, m.ErrorCode) }) {
		return false, ""
	}
	return true, byID
}

// label names a DLQ message by its event id, else its message id.
func (m DLQMessage) label() string {
	if m.EventID != "" {
		return m.EventID
	}
	return m.MessageID
}

func runRedrive(ctx context.Context, a *app, f *redriveFlags) error {
	if err := checkOutput(*f.output); err != nil {
		return err
	}
	switch f.method {
	case MethodAuto, MethodMoveTask, MethodReceiveSend:
	default:
		return usageErrorf("invalid --method %q: use auto, move-task or receive-send", f.method)
	}
	if f.maxPerSecond < 0 || f.maxPerSecond > 500 {
		return usageErrorf("--max-per-second must be between 0 and 500")
	}
	if f.max < 0 {
		return usageErrorf("--max must not be negative")
	}
	if f.max > 0 && f.method == MethodMoveTask {
		return usageErrorf("--max works with --method receive-send only (a move task moves everything)")
	}
	sel, err := newSelection(f.ids, f.errorCodes)
	if err != nil {
		return err
	}
	method := f.method
	if sel != nil {
		if method == MethodMoveTask {
			return usageErrorf("--id and --error-code work with --method receive-send only (a move task moves everything)")
		}
		method = MethodReceiveSend
	}
	if err := a.require(ctx, &f.dlqURL, "dlq-url", OutputDLQURL); err != nil {
		return err
	}
	if err := a.require(ctx, &f.queueURL, "queue-url", OutputQueueURL); err != nil {
		return err
	}
	if f.dlqURL == f.queueURL {
		return usageErrorf("--dlq-url and --queue-url are the same queue")
	}
	client, err := a.sqsClient(ctx)
	if err != nil {
		return err
	}
	r := &redriver{client: client, dlqURL: f.dlqURL, queueURL: f.queueURL, perSecond: f.maxPerSecond, max: f.max, sel: sel, log: a.env.Stderr, now: a.env.Now}
	res, err := r.run(ctx, method, f.wait)
	stopped := err != nil
	if err == nil {
		err = res.selectionError()
	}
	if err != nil {
		res.Error = err.Error()
	}
	if *f.output == outputJSON {
		if werr := writeJSON(a.env.Stdout, res); werr != nil && err == nil {
			err = werr
		}
	} else {
		switch {
		case res.TaskHandle != "" && !f.wait:
			fmt.Fprintf(a.env.Stdout, "started move task %s from %s to %s; follow it with: aws sqs list-message-move-tasks --source-arn <DLQ ARN>\n", res.TaskHandle, f.dlqURL, f.queueURL)
		default:
			fmt.Fprintf(a.env.Stdout, "moved %d message(s) from %s to %s (%s)\n", res.Moved, f.dlqURL, f.queueURL, res.Method)
			printSelection(a.env.Stdout, res)
		}
	}
	switch {
	case err != nil && res.Moved > 0 && stopped:
		return &ExitError{Code: ExitPartial, Err: fmt.Errorf("redrive stopped after %d message(s): %w", res.Moved, err)}
	case err != nil && res.Moved > 0:
		return &ExitError{Code: ExitPartial, Err: fmt.Errorf("moved %d message(s), not all that were selected: %w", res.Moved, err)}
	}
	return err
}

// selectionError says which selected messages a complete run did not move.
func (res *RedriveResult) selectionError() error {
	var parts []string
	if n := len(res.HeldBack); n > 0 {
		parts = append(parts, fmt.Sprintf("%d selected message(s) held back behind messages of their group that were not selected", n))
	}
	if n := len(res.NotFound); n > 0 {
		parts = append(parts, fmt.Sprintf("%d --id value(s) matched no message in the DLQ: %s", n, strings.Join(res.NotFound, ", ")))
	}
	if len(parts) == 0 {
		return nil
	}
	return errors.New(strings.Join(parts, "; "))
}

func printSelection(w io.Writer, res *RedriveResult) {
	for _, id := range res.MovedIDs {
		fmt.Fprintf(w, "  moved      %s\n", id)
	}
	for _, h := range res.HeldBack {
		fmt.Fprintf(w, "  held back  %s: waits behind %s of its group, not selected (add --id %s to move both, in order)\n",
			cmp.Or(h.EventID, h.MessageID), h.Behind, h.Behind)
	}
	for _, id := range res.NotFound {
		fmt.Fprintf(w, "  not found  %s\n", id)
	}
	if res.NotSelected > 0 {
		fmt.Fprintf(w, "%d message(s) not selected, left in the DLQ\n", res.NotSelected)
	}
}

type redriver struct {
	client    sqsAPI
	dlqURL    string
	queueURL  string
	perSecond int
	max       int
	// sel selects the messages to move; nil moves every message.
	sel *selection
	log io.Writer
	now func() time.Time
	// taskPoll is how often a waited-for move task is asked about;
	// defaultTaskPoll when zero. Tests shorten it.
	taskPoll time.Duration
}

func (r *redriver) run(ctx context.Context, method string, wait bool) (*RedriveResult, error) {
	if method != MethodReceiveSend {
		res, err := r.moveTask(ctx, wait)
		if err == nil || method == MethodMoveTask || !unsupported(err) {
			return res, err
		}
		fmt.Fprintf(r.log, "goalctl: this SQS endpoint has no message move tasks (%v); moving the messages by receive, send and delete\n", shortError(err))
	}
	return r.receiveSend(ctx)
}

func shortError(err error) string {
	var api smithy.APIError
	if errors.As(err, &api) {
		return api.ErrorCode()
	}
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) {
		return "HTTP " + strconv.Itoa(re.HTTPStatusCode())
	}
	return err.Error()
}

// unsupported reports whether err says that the endpoint does not know
// StartMessageMoveTask: an unknown-operation error code, HTTP 501, or an
// HTTP 500 without an AWS error code (moto_server answers NotImplementedError
// so).
func unsupported(err error) bool {
	var api smithy.APIError
	if errors.As(err, &api) {
		switch api.ErrorCode() {
		case "UnknownOperationException", "UnknownOperation", "InvalidAction", "NotImplemented",
			"NotImplementedException", "UnsupportedOperation", "AWS.SimpleQueueService.UnsupportedOperation":
			return true
		}
	}
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) {
		switch re.HTTPStatusCode() {
		case http.StatusNotImplemented:
			return true
		case http.StatusInternalServerError:
			if api == nil {
				return true
			}
			code, msg := api.ErrorCode(), strings.ToLower(api.ErrorMessage())
			return code == "" || code == "UnknownError" || strings.Contains(msg, "not been implemented") || strings.Contains(msg, "not implemented")
		}
	}
	return false
}

func (r *redriver) queueARN(ctx context.Context, url string) (string, error) {
	out, err := r.client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl:       aws.String(url),
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameQueueArn},
	})
	if err != nil {
		return "", fmt.Errorf("get the ARN of %s: %w", url, err)
	}
	arn := out.Attributes[string(types.QueueAttributeNameQueueArn)]
	if arn == "" {
		return "", fmt.Errorf("%s has no QueueArn attribute", url)
	}
	return arn, nil
}

func (r *redriver) moveTask(ctx context.Context, wait bool) (*RedriveResult, error) {
	res := &RedriveResult{Method: MethodMoveTask}
	src, err := r.queueARN(ctx, r.dlqURL)
	if err != nil {
		return res, err
	}
	dst, err := r.queueARN(ctx, r.queueURL)
	if err != nil {
		return res, err
	}
	in := &sqs.StartMessageMoveTaskInput{SourceArn: aws.String(src), DestinationArn: aws.String(dst)}
	if r.perSecond > 0 {
		in.MaxNumberOfMessagesPerSecond = aws.Int32(int32(r.perSecond))
	}
	// One attempt: an endpoint without the operation answers at once, and
	// a move task is not something to start twice.
	out, err := r.client.StartMessageMoveTask(ctx, in, func(o *sqs.Options) { o.RetryMaxAttempts = 1 })
	if err != nil {
		return res, fmt.Errorf("start message move task: %w", err)
	}
	res.TaskHandle = aws.ToString(out.TaskHandle)
	res.TaskStatus = "RUNNING"
	if !wait {
		return res, nil
	}
	fmt.Fprintf(r.log, "move task %s started; waiting for it to finish (Ctrl-C stops waiting, not the task)\n", res.TaskHandle)
	for {
		lt, err := r.client.ListMessageMoveTasks(ctx, &sqs.ListMessageMoveTasksInput{SourceArn: aws.String(src), MaxResults: aws.Int32(10)})
		if err != nil {
			return res, fmt.Errorf("follow the move task: %w", err)
		}
		var task *types.ListMessageMoveTasksResultEntry
		for i := range lt.Results {
			if aws.ToString(lt.Results[i].TaskHandle) == res.TaskHandle {
				task = &lt.Results[i]
			}
		}
		if task == nil && len(lt.Results) > 0 {
			// Only the running task carries its handle; the newest is first.
			task = &lt.Results[0]
		}
		if task != nil {
			res.Moved = task.ApproximateNumberOfMessagesMoved
			res.ToMove = task.ApproximateNumberOfMessagesToMove
			res.TaskStatus = aws.ToString(task.Status)
			switch res.TaskStatus {
			case "COMPLETED":
				return res, nil
			case "FAILED":
				return res, fmt.Errorf("move task failed: %s", aws.ToString(task.FailureReason))
			case "CANCELLED":
				return res, errors.New("move task was cancelled")
			}
		}
		poll := r.taskPoll
		if poll <= 0 {
			poll = defaultTaskPoll
		}
		if err := sleepCtx(ctx, poll); err != nil {
			return res, err
		}
	}
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

// receiveSend moves messages one by one, in the order SQS gives them
// (which keeps each FIFO group's order), deleting each from the DLQ only
// after it is on the queue. With a selection, the messages it does not
// move are held invisible until the run ends (so that the next receive
// brings new ones) and then made visible again; once a message of a FIFO
// group stays, the later messages of that group stay too, so that no
// moved message overtakes an earlier one of its group.
func (r *redriver) receiveSend(ctx context.Context) (res *RedriveResult, err error) {
	res = &RedriveResult{Method: MethodReceiveSend}
	fifo, err := r.isFIFO(ctx, r.queueURL)
	if err != nil {
		return res, err
	}
	nonceBytes := make([]byte, 8)
	if _, err := rand.Read(nonceBytes); err != nil {
		return res, err
	}
	nonce := hex.EncodeToString(nonceBytes)
	var interval time.Duration
	if r.perSecond > 0 {
		interval = time.Second / time.Duration(r.perSecond)
	}
	// What a selective run leaves in the DLQ: receipt handles by message
	// id (a message whose hold ran out comes back with a new one), in the
	// order first seen; and, per FIFO group, the first message left.
	held := map[string]string{}
	var heldOrder []string
	blocked := map[string]string{}
	found := map[string]bool{}
	defer func() {
		handles := make([]string, 0, len(heldOrder))
		for _, id := range heldOrder {
			handles = append(handles, held[id])
		}
		if rerr := release(context.WithoutCancel(ctx), r.client, r.dlqURL, handles); rerr != nil {
			fmt.Fprintf(r.log, "goalctl: warning: %v; they stay in the DLQ and become visible within %ds\n", rerr, moveHold)
		}
		if r.sel != nil && err == nil {
			for id := range r.sel.ids {
				if !found[id] {
					res.NotFound = append(res.NotFound, id)
				}
			}
			slices.Sort(res.NotFound)
		}
	}()
	hold := func(m types.Message) {
		id := aws.ToString(m.MessageId)
		if _, ok := held[id]; !ok {
			heldOrder = append(heldOrder, id)
		}
		held[id] = aws.ToString(m.ReceiptHandle)
	}
	var last time.Time
	for r.max == 0 || res.Moved < int64(r.max) {
		want := 10
		if r.max > 0 {
			want = min(want, r.max-int(res.Moved))
		}
		out, err := r.client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl:                    aws.String(r.dlqURL),
			MaxNumberOfMessages:         int32(want),
			VisibilityTimeout:           moveHold,
			WaitTimeSeconds:             receiveWait,
			MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
			MessageAttributeNames:       []string{"All"},
		})
		if err != nil {
			return res, fmt.Errorf("receive from the DLQ: %w", err)
		}
		fresh := 0
		for i, m := range out.Messages {
			if _, again := held[aws.ToString(m.MessageId)]; again {
				// Its hold ran out while the run went on: hold it anew.
				hold(m)
				continue
			}
			fresh++
			if r.sel != nil {
				d := describe(m)
				ok, byID := r.sel.match(d)
				if byID != "" {
					found[byID] = true
				}
				behind := blocked[d.GroupID]
				switch {
				case !ok:
					res.NotSelected++
					hold(m)
					if d.GroupID != "" && behind == "" {
						blocked[d.GroupID] = d.label()
					}
					continue
				case behind != "":
					res.HeldBack = append(res.HeldBack, HeldBack{EventID: d.EventID, MessageID: d.MessageID, GroupID: d.GroupID, Behind: behind})
					hold(m)
					continue
				}
				res.MovedIDs = append(res.MovedIDs, d.label())
			}
			if interval > 0 && !last.IsZero() {
				if d := interval - time.Since(last); d > 0 {
					if err := sleepCtx(ctx, d); err != nil {
						return res, r.giveBack(ctx, out.Messages[i:], err)
					}
				}
			}
			last = time.Now()
			if err := ctx.Err(); err != nil {
				return res, r.giveBack(ctx, out.Messages[i:], err)
			}
			if _, err := r.client.SendMessage(ctx, r.resend(m, fifo, nonce)); err != nil {
				return res, r.giveBack(ctx, out.Messages[i:], fmt.Errorf("send message %s to the queue: %w", aws.ToString(m.MessageId), err))
			}
			if _, err := r.client.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(r.dlqURL), ReceiptHandle: m.ReceiptHandle}); err != nil {
				// It is on the queue and still in the DLQ: a later redrive
				// sends it again, which the consumer's idempotency absorbs.
				res.Moved++
				return res, r.giveBack(ctx, out.Messages[i+1:], fmt.Errorf("message %s is on the queue but could not be deleted from the DLQ: %w", aws.ToString(m.MessageId), err))
			}
			res.Moved++
		}
		if fresh == 0 {
			// Nothing left but what this run holds back.
			return res, nil
		}
	}
	return res, nil
}

// giveBack makes the messages not moved visible in the DLQ again and
// returns cause.
func (r *redriver) giveBack(ctx context.Context, msgs []types.Message, cause error) error {
	handles := make([]string, len(msgs))
	for i, m := range msgs {
		handles[i] = aws.ToString(m.ReceiptHandle)
	}
	if err := release(context.WithoutCancel(ctx), r.client, r.dlqURL, handles); err != nil {
		fmt.Fprintf(r.log, "goalctl: warning: %v; they stay in the DLQ and become visible within %ds\n", err, moveHold)
	}
	return cause
}

func (r *redriver) isFIFO(ctx context.Context, url string) (bool, error) {
	out, err := r.client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl:       aws.String(url),
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameFifoQueue},
	})
	if err != nil {
		return false, fmt.Errorf("get the attributes of %s: %w", url, err)
	}
	return out.Attributes[string(types.QueueAttributeNameFifoQueue)] == "true" || strings.HasSuffix(url, ".fifo"), nil
}

// resend is the SendMessage of a DLQ message to the queue: same body and
// attributes; on a FIFO queue the message's group (or, when SQS did not
// say, the event's record key as the publisher uses it) and a
// deduplication id from the message id and the run's nonce.
func (r *redriver) resend(m types.Message, fifo bool, nonce string) *sqs.SendMessageInput {
	in := &sqs.SendMessageInput{
		QueueUrl:    aws.String(r.queueURL),
		MessageBody: m.Body,
	}
	if len(m.MessageAttributes) > 0 {
		in.MessageAttributes = make(map[string]types.MessageAttributeValue, len(m.MessageAttributes))
		for k, v := range m.MessageAttributes {
			in.MessageAttributes[k] = types.MessageAttributeValue{
				DataType: v.DataType, StringValue: v.StringValue, BinaryValue: v.BinaryValue,
			}
		}
	}
	if !fifo {
		return in
	}
	group := m.Attributes[string(types.MessageSystemAttributeNameMessageGroupId)]
	if group == "" {
		if evs, err := events.Decode([]byte(aws.ToString(m.Body))); err == nil && len(evs) == 1 {
			group = queue.FIFOID(evs[0].RecordKey())
		} else {
			group = "goalctl-redrive"
		}
	}
	sum := sha256.Sum256([]byte(aws.ToString(m.MessageId) + ":redrive:" + nonce))
	in.MessageGroupId = aws.String(group)
	in.MessageDeduplicationId = aws.String(hex.EncodeToString(sum[:]))
	return in
}
