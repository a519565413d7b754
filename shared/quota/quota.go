package quota

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Defaults: Gainsight allows 100 calls a minute and 50,000 a day; the
// defaults leave a tenth for other integrations on the same tenant.
const (
	DefaultPerMinute      = 90
	DefaultPerDay         = 45000
	DefaultWindow         = time.Minute
	DefaultDayWindow      = 24 * time.Hour
	DefaultDeadlineMargin = 2 * time.Second
)

// Item layout (partition key "pk", TTL attribute "expiresAt").
const (
	MinutePrefix = "quota#minute#"
	DayPrefix    = "quota#day#"

	attrKey       = "pk"
	attrCount     = "n"
	attrExpires   = "expiresAt" // epoch seconds
	attrNotBefore = "notBefore" // epoch milliseconds; day item, after a 429 with Retry-After
	attrPenalized = "penalizedAt"
)

var (
	// ErrNoTime: the minute's budget is spent (or a 429's Retry-After
	// runs) and the caller's deadline, less Options.DeadlineMargin, comes
	// before the next unit is free. Report the work as not attempted.
	ErrNoTime = errors.New("quota: no time left to wait for the next window")

	// ErrDailyExhausted: the day's budget is spent. Take returns it without
	// waiting; the *LimitError says when the day resets.
	ErrDailyExhausted = errors.New("quota: daily quota exhausted")
)

// LimitError is what Take returns when it cannot take a unit:
// errors.Is(err, ErrNoTime) or errors.Is(err, ErrDailyExhausted).
type LimitError struct {
	// Err is ErrNoTime or ErrDailyExhausted.
	Err error
	// Limit names what ran out: "minute", "day" or "retry-after" (a 429's
	// Retry-After noted by Penalize).
	Limit string
	// Resets is when a unit is next free (the dead zone included).
	Resets time.Time
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("%v (%s limit; next unit at %s)", e.Err, e.Limit, e.Resets.UTC().Format(time.RFC3339Nano))
}

// Unwrap returns Err.
func (e *LimitError) Unwrap() error { return e.Err }

// db is the part of the DynamoDB client the limiter uses.
type db interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, optFns ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
}

// Options configure a Limiter. Zero values take the defaults.
type Options struct {
	// PerMinute is the budget of one minute window
	// (GAINSIGHT_CALLS_PER_MINUTE); DefaultPerMinute when zero.
	PerMinute int
	// PerDay is the budget of one day window (GAINSIGHT_CALLS_PER_DAY);
	// DefaultPerDay when zero.
	PerDay int

	// Window is the length of the "minute" window; DefaultWindow when
	// zero. Only benchmarks and tests change it (e.g. 100ms with
	// PerMinute 20) to run a scaled-down quota.
	Window time.Duration
	// DayWindow is the length of the "day" window; DefaultDayWindow when
	// zero. Scale it with Window.
	DayWindow time.Duration

	// SkewGuard is the dead zone on each side of a window boundary in
	// which no unit is taken (see the package documentation): it absorbs
	// clock offset from Gainsight plus request latency. Zero means
	// Window/600 (100ms for a one-minute window); negative turns it off;
	// at most Window/4.
	SkewGuard time.Duration

	// DeadlineMargin is the time the caller needs after Take returns to
	// make its call: Take does not wait past the context's deadline minus
	// this margin, and returns ErrNoTime instead. DefaultDeadlineMargin
	// when zero; negative means none. The time left before the deadline
	// is measured on the real clock, as the context measures it; the wait
	// on the Now clock.
	DeadlineMargin time.Duration

	// Now is the clock (time.Now when nil) and After the timer
	// (time.After when nil); tests inject both.
	Now   func() time.Time
	After func(time.Duration) <-chan time.Time

	// OnWait, if set, is called by Take with the time it spent waiting
	// for the quota, whenever that is more than zero (for the apply
	// function's QuotaWaitMs metric).
	OnWait func(time.Duration)
}

// Limiter is the tenant-wide limiter. It keeps no state of its own beyond
// its options, so any number of Limiters in any number of processes that
// share the table and the options form one limiter.
type Limiter struct {
	db    db
	table string
	o     Options
}

// New returns a Limiter over the table named table (STATE_TABLE). client is
// usually a *dynamodb.Client.
func New(client db, table string, optFns ...func(*Options)) *Limiter {
	var o Options
	for _, fn := range optFns {
		fn(&o)
	}
	if o.PerMinute <= 0 {
		o.PerMinute = DefaultPerMinute
	}
	if o.PerDay <= 0 {
		o.PerDay = DefaultPerDay
	}
	if o.Window <= 0 {
		o.Window = DefaultWindow
	}
	if o.DayWindow <= 0 {
		o.DayWindow = DefaultDayWindow
	}
	o.DayWindow = max(o.DayWindow, o.Window)
	switch {
	case o.SkewGuard == 0:
		o.SkewGuard = o.Window / 600
	case o.SkewGuard < 0:
		o.SkewGuard = 0
	}
	o.SkewGuard = min(o.SkewGuard, o.Window/4)
	switch {
	case o.DeadlineMargin == 0:
		o.DeadlineMargin = DefaultDeadlineMargin
	case o.DeadlineMargin < 0:
		o.DeadlineMargin = 0
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.After == nil {
		o.After = time.After
	}
	return &Limiter{db: client, table: table, o: o}
}

// windows are the minute and day windows that contain one instant.
type windows struct {
	minStart, minEnd time.Time
	dayStart, dayEnd time.Time
}

func (l *Limiter) windowsAt(t time.Time) windows {
	t = t.UTC()
	// Truncate counts from the zero time, which is midnight UTC, so
	// windows that divide a day are aligned to the UTC minute and day.
	ms := t.Truncate(l.o.Window)
	ds := t.Truncate(l.o.DayWindow)
	return windows{minStart: ms, minEnd: ms.Add(l.o.Window), dayStart: ds, dayEnd: ds.Add(l.o.DayWindow)}
}

// MinuteKey and DayKey are the partition keys of the counters for the
// windows that contain t.
func (l *Limiter) MinuteKey(t time.Time) string {
	return MinutePrefix + l.windowsAt(t).minStart.Format(time.RFC3339Nano)
}

// DayKey: see MinuteKey. A 24-hour day window is named by its date.
func (l *Limiter) DayKey(t time.Time) string {
	ds := l.windowsAt(t).dayStart
	if l.o.DayWindow == 24*time.Hour {
		return DayPrefix + ds.Format(time.DateOnly)
	}
	return DayPrefix + ds.Format(time.RFC3339Nano)
}

// Take takes one unit from the current minute and the current day, waiting
// for the next minute window when this one is spent and the context's
// deadline (less Options.DeadlineMargin) allows it. It returns nil when the
// caller may make one call now; a *LimitError with ErrNoTime or
// ErrDailyExhausted; the context's error if it ends during a wait; or a
// wrapped DynamoDB error.
func (l *Limiter) Take(ctx context.Context) error {
	_, err := l.TakeWait(ctx)
	return err
}

// TakeWait is Take that also returns the time it spent waiting for the
// quota (also given to Options.OnWait), whatever the outcome.
func (l *Limiter) TakeWait(ctx context.Context) (waited time.Duration, err error) {
	defer func() {
		if waited > 0 && l.o.OnWait != nil {
			l.o.OnWait(waited)
		}
	}()
	wait := func(until time.Time, limit string) error {
		start := l.o.Now()
		err := l.waitUntil(ctx, start, until, limit)
		waited += l.o.Now().Sub(start)
		return err
	}
	conflicts := 0
	for {
		if err := ctx.Err(); err != nil {
			return waited, err
		}
		now := l.o.Now()
		w := l.windowsAt(now)
		g := l.o.SkewGuard
		if g > 0 && now.Sub(w.minStart) < g {
			if err := wait(w.minStart.Add(g), "minute"); err != nil {
				return waited, err
			}
			continue
		}
		if g > 0 && w.minEnd.Sub(now) <= g {
			if err := wait(w.minEnd.Add(g), "minute"); err != nil {
				return waited, err
			}
			continue
		}
		res, err := l.take(ctx, now)
		if err != nil {
			return waited, err
		}
		switch res.outcome {
		case taken:
			return waited, nil
		case minuteSpent:
			if err := wait(w.minEnd.Add(g), "minute"); err != nil {
				return waited, err
			}
		case paused:
			if err := wait(res.until, "retry-after"); err != nil {
				return waited, err
			}
		case daySpent:
			return waited, &LimitError{Err: ErrDailyExhausted, Limit: "day", Resets: w.dayEnd.Add(g)}
		case conflict:
			// Another transaction held one of the items: try again soon,
			// jittered so that colliding consumers spread out.
			conflicts++
			backoff := time.Duration(rand.Int64N(int64(min(conflicts, 8))*int64(2*time.Millisecond))) + time.Millisecond
			if err := wait(now.Add(backoff), "minute"); err != nil {
				return waited, err
			}
		}
	}
}

// waitUntil waits until the clock reads until, unless the context's
// deadline (less the margin) comes first: then it returns ErrNoTime at
// once, without waiting.
func (l *Limiter) waitUntil(ctx context.Context, now, until time.Time, limit string) error {
	d := until.Sub(now)
	if d <= 0 {
		return nil
	}
	if dl, ok := ctx.Deadline(); ok && time.Until(dl)-l.o.DeadlineMargin < d {
		return &LimitError{Err: ErrNoTime, Limit: limit, Resets: until}
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-l.o.After(d):
		return nil
	}
}

type outcome int

const (
	taken outcome = iota
	minuteSpent
	daySpent
	paused // a 429's Retry-After runs until result.until
	conflict
)

type result struct {
	outcome outcome
	until   time.Time
}

// take is one attempt: one TransactWriteItems adding one to both counters.
func (l *Limiter) take(ctx context.Context, now time.Time) (result, error) {
	w := l.windowsAt(now)
	minKey, dayKey := l.MinuteKey(now), l.DayKey(now)
	cond := "attribute_not_exists(#n) OR #n < :limit"
	_, err := l.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{
		TransactItems: []types.TransactWriteItem{
			{Update: &types.Update{
				TableName:                aws.String(l.table),
				Key:                      key(minKey),
				UpdateExpression:         aws.String("ADD #n :one SET #exp = :exp"),
				ConditionExpression:      aws.String(cond),
				ExpressionAttributeNames: map[string]string{"#n": attrCount, "#exp": attrExpires},
				ExpressionAttributeValues: map[string]types.AttributeValue{
					":one":   num(1),
					":limit": num(int64(l.o.PerMinute)),
					":exp":   num(l.minuteExpiry(w).Unix()),
				},
				ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
			}},
			{Update: &types.Update{
				TableName:                aws.String(l.table),
				Key:                      key(dayKey),
				UpdateExpression:         aws.String("ADD #n :one SET #exp = :exp"),
				ConditionExpression:      aws.String("(" + cond + ") AND (attribute_not_exists(#nb) OR #nb <= :now)"),
				ExpressionAttributeNames: map[string]string{"#n": attrCount, "#exp": attrExpires, "#nb": attrNotBefore},
				ExpressionAttributeValues: map[string]types.AttributeValue{
					":one":   num(1),
					":limit": num(int64(l.o.PerDay)),
					":exp":   num(l.dayExpiry(w).Unix()),
					":now":   num(now.UnixMilli()),
				},
				ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
			}},
		},
	})
	if err == nil {
		return result{outcome: taken}, nil
	}
	var tc *types.TransactionCanceledException
	if !errors.As(err, &tc) || len(tc.CancellationReasons) != 2 {
		return result{}, fmt.Errorf("quota: take from %s and %s: %w", minKey, dayKey, err)
	}
	minR, dayR := tc.CancellationReasons[0], tc.CancellationReasons[1]
	switch {
	case aws.ToString(dayR.Code) == "ConditionalCheckFailed":
		// The day comes first: a spent day must not be waited for minute
		// by minute.
		item := dayR.Item
		if item == nil {
			// An emulator that does not return the old item: ask.
			if item, err = l.get(ctx, dayKey); err != nil {
				return result{}, err
			}
		}
		return l.explainDay(item, now), nil
	case aws.ToString(minR.Code) == "ConditionalCheckFailed":
		return result{outcome: minuteSpent}, nil
	case aws.ToString(minR.Code) == "TransactionConflict" || aws.ToString(dayR.Code) == "TransactionConflict":
		return result{outcome: conflict}, nil
	}
	return result{}, fmt.Errorf("quota: take from %s (%s) and %s (%s): %w", minKey, aws.ToString(minR.Code),
		dayKey, aws.ToString(dayR.Code), err)
}

// explainDay tells from the day counter why its condition failed.
func (l *Limiter) explainDay(item map[string]types.AttributeValue, now time.Time) result {
	if getNum(item, attrCount) >= int64(l.o.PerDay) {
		return result{outcome: daySpent}
	}
	if nb := getNum(item, attrNotBefore); nb > now.UnixMilli() {
		return result{outcome: paused, until: time.UnixMilli(nb)}
	}
	// It changed since (a read without the returned item): try again.
	return result{outcome: conflict}
}

// Counters outlive their window a little, for the operator CLI; DynamoDB
// deletes them lazily after expiresAt.
func (l *Limiter) minuteExpiry(w windows) time.Time { return w.minEnd.Add(max(l.o.Window, time.Hour)) }
func (l *Limiter) dayExpiry(w windows) time.Time    { return w.dayEnd.Add(l.o.DayWindow) }

// Penalize is for a 429 from Gainsight: the tenant's window is full
// whatever our counters say (another integration, clock skew, a leaky
// bucket). It marks the current minute window spent (n = PerMinute) so
// that every consumer waits for the next one, and, when Gainsight sent a
// Retry-After, notes on the day counter that no unit is to be taken before
// now + retryAfter (+ SkewGuard). Take honours that note like a spent
// minute: it waits if the deadline allows, else ErrNoTime.
func (l *Limiter) Penalize(ctx context.Context, retryAfter time.Duration) error {
	now := l.o.Now()
	w := l.windowsAt(now)
	minKey := l.MinuteKey(now)
	_, err := l.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                aws.String(l.table),
		Key:                      key(minKey),
		UpdateExpression:         aws.String("SET #n = :limit, #exp = :exp, #p = :now"),
		ConditionExpression:      aws.String("attribute_not_exists(#n) OR #n < :limit"),
		ExpressionAttributeNames: map[string]string{"#n": attrCount, "#exp": attrExpires, "#p": attrPenalized},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":limit": num(int64(l.o.PerMinute)),
			":exp":   num(l.minuteExpiry(w).Unix()),
			":now":   num(now.UnixMilli()),
		},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureNone,
	})
	if err != nil && !isConditionFailed(err) {
		return fmt.Errorf("quota: penalize %s: %w", minKey, err)
	}
	if retryAfter <= 0 {
		return nil
	}
	until := now.Add(retryAfter + l.o.SkewGuard)
	// The note goes on every day window up to until, so that a
	// Retry-After across midnight holds on the next day too (at most a
	// few: Retry-After is seconds or minutes).
	for t, i := now, 0; t.Before(until) && i < 3; t, i = l.windowsAt(t).dayEnd, i+1 {
		dayKey := l.DayKey(t)
		_, err := l.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName:                aws.String(l.table),
			Key:                      key(dayKey),
			UpdateExpression:         aws.String("SET #nb = :until, #exp = if_not_exists(#exp, :exp)"),
			ConditionExpression:      aws.String("attribute_not_exists(#nb) OR #nb < :until"),
			ExpressionAttributeNames: map[string]string{"#nb": attrNotBefore, "#exp": attrExpires},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":until": num(until.UnixMilli()),
				":exp":   num(l.dayExpiry(l.windowsAt(t)).Unix()),
			},
		})
		if err != nil && !isConditionFailed(err) {
			return fmt.Errorf("quota: note retry-after on %s: %w", dayKey, err)
		}
	}
	return nil
}

// Remaining is what is left of the quota: the units left in the current
// minute and day windows and when each window resets.
type Remaining struct {
	MinuteLeft, DayLeft     int
	MinuteResets, DayResets time.Time
}

// Remaining reports the units left in the current minute and day windows
// and when each resets, for the operator CLI. While a 429's Retry-After
// runs, MinuteLeft is 0 and MinuteResets is when it ends.
func (l *Limiter) Remaining(ctx context.Context) (Remaining, error) {
	now := l.o.Now()
	w := l.windowsAt(now)
	minItem, err := l.get(ctx, l.MinuteKey(now))
	if err != nil {
		return Remaining{}, err
	}
	dayItem, err := l.get(ctx, l.DayKey(now))
	if err != nil {
		return Remaining{}, err
	}
	r := Remaining{
		MinuteLeft:   max(0, l.o.PerMinute-int(getNum(minItem, attrCount))),
		DayLeft:      max(0, l.o.PerDay-int(getNum(dayItem, attrCount))),
		MinuteResets: w.minEnd,
		DayResets:    w.dayEnd,
	}
	if nb := time.UnixMilli(getNum(dayItem, attrNotBefore)).UTC(); nb.After(now) {
		r.MinuteLeft, r.MinuteResets = 0, nb
	}
	return r, nil
}

func (l *Limiter) get(ctx context.Context, pk string) (map[string]types.AttributeValue, error) {
	out, err := l.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(l.table),
		Key:            key(pk),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return nil, fmt.Errorf("quota: get %s: %w", pk, err)
	}
	return out.Item, nil
}

func isConditionFailed(err error) bool {
	var cf *types.ConditionalCheckFailedException
	return errors.As(err, &cf)
}

func key(pk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{attrKey: &types.AttributeValueMemberS{Value: pk}}
}

func num(v int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(v, 10)}
}

// getNum returns a Number attribute, 0 when it is absent.
func getNum(item map[string]types.AttributeValue, name string) int64 {
	v, ok := item[name].(*types.AttributeValueMemberN)
	if !ok {
		return 0
	}
	n, _ := strconv.ParseInt(v.Value, 10, 64)
	return n
}
