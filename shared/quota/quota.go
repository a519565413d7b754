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

	// Day item, for a day spent by others (see RateLimited); all epoch
	// milliseconds.
	attrStrike = "strikeAt" // start of the minute window of the last strike
	attrSpent  = "spentAt"  // when the day was marked spent; absent: not marked
	attrProbe  = "probeAt"  // when the next probe may go, while marked
)

// LimitDaySpent is LimitError.Limit while the day is marked spent by
// others (see RateLimited).
const LimitDaySpent = "day-spent"

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
	// Limit names what ran out: "minute", "day", "retry-after" (a 429's
	// Retry-After noted by Penalize) or LimitDaySpent (the tenant's day
	// spent by others, marked by RateLimited; with ErrDailyExhausted).
	Limit string
	// Resets is when a unit is next free (the dead zone included); for
	// LimitDaySpent, the start of the next day window.
	Resets time.Time
	// Probe is, for LimitDaySpent, when the next probe may go: the one
	// unit that is let through to see whether the day is back.
	Probe time.Time
}

func (e *LimitError) Error() string {
	if e.Limit == LimitDaySpent {
		return fmt.Sprintf("%v (the tenant's day is spent by others; next probe at %s, day resets at %s)", e.Err,
			e.Probe.UTC().Format(time.RFC3339Nano), e.Resets.UTC().Format(time.RFC3339Nano))
	}
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

	// SkewGuard is the least dead zone on each side of a window boundary
	// in which no unit is taken (see the package documentation). The
	// guard in use is sized from what the calls show (Observe):
	// clamp(p99 commit + p99 request time + |clock offset| + GuardMargin,
	// SkewGuard, MaxSkewGuard); before any observation it is SkewGuard.
	// Zero means Window/600 (100ms for a one-minute window); negative
	// turns the guard off altogether (no dead zone, nothing estimated).
	SkewGuard time.Duration
	// MaxSkewGuard caps the guard: zero (or more) means Window/4, so at
	// least half of every window stays open.
	MaxSkewGuard time.Duration
	// GuardMargin is added to the estimate; zero means Window/600.
	GuardMargin time.Duration
	// DateResolution is the resolution of Gainsight's Date header (one
	// second, HTTP-date) when zero; scaled-down benchmarks shorten it with
	// Window.
	DateResolution time.Duration
	// ConstantGuard keeps the guard at SkewGuard whatever Observe sees:
	// the limiter as it was before the estimate, for comparisons.
	ConstantGuard bool

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

	// FreshWindowCalls: a 429 without Retry-After is a strike (evidence
	// that the tenant's day is spent, see RateLimited) only when fewer
	// than this many of our units had been taken in its minute window.
	// Zero means PerMinute/2.
	FreshWindowCalls int
	// StrikeWithin: two strikes in different minute windows mark the day
	// spent when the earlier one's window started at most this long
	// before the later one's. Zero means 15 windows (15 minutes): longer
	// than the queue's visibility timeout (12 minutes), so a lone message's
	// redelivery still pairs with its first 429.
	StrikeWithin time.Duration
	// ProbeEvery: while the day is marked spent, one unit is let through
	// this often to see whether the day is back. Zero means 60 windows
	// (an hour).
	ProbeEvery time.Duration

	// OnWait, if set, is called by Take with the time it spent waiting
	// for the quota, whenever that is more than zero (for the apply
	// function's QuotaWaitMs metric).
	OnWait func(time.Duration)
}

// Limiter is the tenant-wide limiter. Its only state of its own is the
// window-edge estimate (Observe), which concerns this consumer's calls
// alone; the counts live in the table, so any number of Limiters in any
// number of processes that share the table and the options form one
// limiter.
type Limiter struct {
	db    db
	table string
	o     Options
	edge  edge
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
	if o.MaxSkewGuard <= 0 || o.MaxSkewGuard > o.Window/4 {
		o.MaxSkewGuard = o.Window / 4
	}
	switch {
	case o.SkewGuard == 0:
		o.SkewGuard = o.Window / 600
	case o.SkewGuard < 0:
		o.SkewGuard, o.ConstantGuard = 0, true
	}
	o.SkewGuard = min(o.SkewGuard, o.MaxSkewGuard)
	if o.GuardMargin <= 0 {
		o.GuardMargin = o.Window / 600
	}
	if o.DateResolution <= 0 {
		o.DateResolution = time.Second
	}
	switch {
	case o.DeadlineMargin == 0:
		o.DeadlineMargin = DefaultDeadlineMargin
	case o.DeadlineMargin < 0:
		o.DeadlineMargin = 0
	}
	if o.FreshWindowCalls <= 0 {
		o.FreshWindowCalls = max(1, o.PerMinute/2)
	}
	if o.StrikeWithin <= 0 {
		o.StrikeWithin = 15 * o.Window
	}
	if o.ProbeEvery <= 0 {
		o.ProbeEvery = 60 * o.Window
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.After == nil {
		o.After = time.After
	}
	l := &Limiter{db: client, table: table, o: o}
	l.edge.est.Guard = o.SkewGuard
	return l
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
// ErrDailyExhausted (Limit "day", or LimitDaySpent while the day is marked
// spent by others, at once and without waiting); the context's error if it
// ends during a wait; or a wrapped DynamoDB error.
//
// While the day is marked spent, Take lets one unit through per
// Options.ProbeEvery, tenant-wide; TakeProbe says whether the unit it
// took is that probe.
func (l *Limiter) Take(ctx context.Context) error {
	_, _, err := l.takeWait(ctx)
	return err
}

// TakeWait is Take that also returns the time it spent waiting for the
// quota (also given to Options.OnWait), whatever the outcome.
func (l *Limiter) TakeWait(ctx context.Context) (waited time.Duration, err error) {
	waited, _, err = l.takeWait(ctx)
	return waited, err
}

// TakeProbe is Take that also reports whether the unit taken is the probe
// of a day marked spent by others. The caller tells the limiter what the
// probe's call met: DayBack when Gainsight answered it (the day is back),
// RateLimited after a 429 (the day stays marked; the next probe is
// Options.ProbeEvery after this one).
func (l *Limiter) TakeProbe(ctx context.Context) (probe bool, err error) {
	_, probe, err = l.takeWait(ctx)
	return probe, err
}

func (l *Limiter) takeWait(ctx context.Context) (waited time.Duration, probe bool, err error) {
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
	var probeAt int64 // the probe this consumer tries to claim; 0: an ordinary take
	for {
		if err := ctx.Err(); err != nil {
			return waited, false, err
		}
		now := l.o.Now()
		w := l.windowsAt(now)
		g := l.guard()
		if g > 0 && now.Sub(w.minStart) < g {
			if err := wait(w.minStart.Add(g), "minute"); err != nil {
				return waited, false, err
			}
			continue
		}
		if g > 0 && w.minEnd.Sub(now) <= g {
			if err := wait(w.minEnd.Add(g), "minute"); err != nil {
				return waited, false, err
			}
			continue
		}
		res, err := l.take(ctx, now, probeAt)
		if err != nil {
			return waited, false, err
		}
		if res.outcome != taken && res.outcome != probeDue {
			// The probe is no longer ours to claim (the mark was cleared,
			// the day changed, a wait came first): read afresh.
			probeAt = 0
		}
		switch res.outcome {
		case taken:
			if !l.o.ConstantGuard {
				l.observeCommit(now, l.o.Now())
			}
			return waited, probeAt != 0, nil
		case minuteSpent:
			if err := wait(w.minEnd.Add(g), "minute"); err != nil {
				return waited, false, err
			}
		case paused:
			if err := wait(res.until, "retry-after"); err != nil {
				return waited, false, err
			}
		case daySpent:
			return waited, false, &LimitError{Err: ErrDailyExhausted, Limit: "day", Resets: w.dayEnd.Add(g)}
		case spentByOthers:
			return waited, false, l.daySpentError(w, res.until)
		case probeDue:
			// Try to claim the probe: the take succeeds only while the
			// day item's probeAt is still the one read, and moves it on.
			if pa := res.until.UnixMilli(); pa != probeAt {
				probeAt = pa
				continue
			}
			conflicts++
			if conflicts > 8 {
				return waited, false, l.daySpentError(w, res.until)
			}
		case conflict:
			// Another transaction held one of the items: try again soon,
			// jittered so that colliding consumers spread out.
			conflicts++
			backoff := time.Duration(rand.Int64N(int64(min(conflicts, 8))*int64(2*time.Millisecond))) + time.Millisecond
			if err := wait(now.Add(backoff), "minute"); err != nil {
				return waited, false, err
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
	spentByOthers // the day is marked spent; the next probe is at result.until
	probeDue      // the day is marked spent; the probe noted for result.until is due
)

type result struct {
	outcome outcome
	until   time.Time
}

// take is one attempt: one TransactWriteItems adding one to both counters.
// With probeAt (epoch ms) it claims the probe of a day marked spent: the day
// counter's condition is then that probeAt is unchanged, and the update
// moves it Options.ProbeEvery on; without, that the day is not marked.
func (l *Limiter) take(ctx context.Context, now time.Time, probeAt int64) (result, error) {
	w := l.windowsAt(now)
	minKey, dayKey := l.MinuteKey(now), l.DayKey(now)
	cond := "attribute_not_exists(#n) OR #n < :limit"
	dayUpdate := "ADD #n :one SET #exp = :exp"
	dayCond := "(" + cond + ") AND (attribute_not_exists(#nb) OR #nb <= :now) AND attribute_not_exists(#sp)"
	dayNames := map[string]string{"#n": attrCount, "#exp": attrExpires, "#nb": attrNotBefore, "#sp": attrSpent}
	dayValues := map[string]types.AttributeValue{
		":one":   num(1),
		":limit": num(int64(l.o.PerDay)),
		":exp":   num(l.dayExpiry(w).Unix()),
		":now":   num(now.UnixMilli()),
	}
	if probeAt != 0 {
		dayUpdate += ", #pa = :next"
		dayCond = "(" + cond + ") AND (attribute_not_exists(#nb) OR #nb <= :now) AND #pa = :pa"
		delete(dayNames, "#sp")
		dayNames["#pa"] = attrProbe
		dayValues[":pa"] = num(probeAt)
		dayValues[":next"] = num(now.Add(l.o.ProbeEvery).UnixMilli())
	}
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
				TableName:                           aws.String(l.table),
				Key:                                 key(dayKey),
				UpdateExpression:                    aws.String(dayUpdate),
				ConditionExpression:                 aws.String(dayCond),
				ExpressionAttributeNames:            dayNames,
				ExpressionAttributeValues:           dayValues,
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
	_, marked := item[attrSpent]
	pa := getNum(item, attrProbe)
	if marked && pa > now.UnixMilli() {
		return result{outcome: spentByOthers, until: time.UnixMilli(pa)}
	}
	if nb := getNum(item, attrNotBefore); nb > now.UnixMilli() {
		return result{outcome: paused, until: time.UnixMilli(nb)}
	}
	if marked {
		return result{outcome: probeDue, until: time.UnixMilli(pa)}
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
	_, err := l.penalize(ctx, l.o.Now(), retryAfter)
	return err
}

// penalize is Penalize at now; it returns how many units the minute window
// held before (PerMinute when it was spent already).
func (l *Limiter) penalize(ctx context.Context, now time.Time, retryAfter time.Duration) (before int64, err error) {
	w := l.windowsAt(now)
	minKey := l.MinuteKey(now)
	out, err := l.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
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
		ReturnValues:                        types.ReturnValueUpdatedOld,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureNone,
	})
	switch {
	case err == nil:
		before = getNum(out.Attributes, attrCount)
	case isConditionFailed(err):
		before = int64(l.o.PerMinute)
	default:
		return 0, fmt.Errorf("quota: penalize %s: %w", minKey, err)
	}
	if retryAfter <= 0 {
		return before, nil
	}
	until := now.Add(retryAfter + l.guard())
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
			return before, fmt.Errorf("quota: note retry-after on %s: %w", dayKey, err)
		}
	}
	return before, nil
}

// Verdict is what RateLimited made of a 429.
type Verdict struct {
	// Strike: the 429 had no Retry-After and came in a fresh minute window
	// (fewer than Options.FreshWindowCalls of our units taken in it).
	Strike bool
	// Marked: this 429 marked the day spent (it was the second strike).
	Marked bool
	// DaySpent is non-nil while the day is marked spent, whoever marked
	// it: a *LimitError with ErrDailyExhausted and LimitDaySpent, to be
	// treated like Take's.
	DaySpent *LimitError
}

// RateLimited is Penalize for a 429 from Gainsight, which also tells a
// tenant day spent by others from a busy minute. Gainsight answers 429
// without Retry-After once the tenant's day is spent, whoever spent it;
// our day counter cannot know what other integrations spent. So:
//
//   - A 429 with Retry-After is a busy window: Penalize, nothing more.
//   - A 429 without Retry-After whose minute window held fewer than
//     Options.FreshWindowCalls of our units (counted before Penalize marks
//     the window spent) is a strike: the tenant refused a window we had
//     hardly used. Its window's start is noted on the day counter
//     (strikeAt).
//   - A strike in a later minute window than a previous strike, at most
//     Options.StrikeWithin after it, on the same day, marks the day spent
//     (spentAt, probeAt = now + Options.ProbeEvery): the refusal
//     persisted into a fresh minute window, which a minute limit never
//     does.
//
// While the day is marked, Take returns ErrDailyExhausted (LimitDaySpent)
// at once, except that one unit per Options.ProbeEvery goes through
// (TakeProbe). The mark ends with the day window, or with DayBack.
func (l *Limiter) RateLimited(ctx context.Context, retryAfter time.Duration) (Verdict, error) {
	now := l.o.Now()
	w := l.windowsAt(now)
	before, err := l.penalize(ctx, now, retryAfter)
	if err != nil || retryAfter > 0 {
		return Verdict{}, err
	}
	dayKey := l.DayKey(now)
	v := Verdict{Strike: before < int64(l.o.FreshWindowCalls)}
	if !v.Strike {
		item, err := l.get(ctx, dayKey)
		if err != nil {
			return v, err
		}
		v.DaySpent = l.markOf(item, w)
		return v, nil
	}
	window := w.minStart.UnixMilli()
	probe := now.Add(l.o.ProbeEvery)
	_, err = l.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                aws.String(l.table),
		Key:                      key(dayKey),
		UpdateExpression:         aws.String("SET #sp = :now, #pa = :probe, #exp = if_not_exists(#exp, :exp)"),
		ConditionExpression:      aws.String("attribute_not_exists(#sp) AND #st < :window AND #st >= :since"),
		ExpressionAttributeNames: map[string]string{"#sp": attrSpent, "#pa": attrProbe, "#exp": attrExpires, "#st": attrStrike},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":now":    num(now.UnixMilli()),
			":probe":  num(probe.UnixMilli()),
			":exp":    num(l.dayExpiry(w).Unix()),
			":window": num(window),
			":since":  num(w.minStart.Add(-l.o.StrikeWithin).UnixMilli()),
		},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	if err == nil {
		v.Marked, v.DaySpent = true, l.daySpentError(w, probe)
		return v, nil
	}
	var cf *types.ConditionalCheckFailedException
	if !errors.As(err, &cf) {
		return v, fmt.Errorf("quota: mark %s spent: %w", dayKey, err)
	}
	item := cf.Item
	if item == nil {
		if item, err = l.get(ctx, dayKey); err != nil {
			return v, err
		}
	}
	if v.DaySpent = l.markOf(item, w); v.DaySpent != nil {
		return v, nil
	}
	// The first strike (or one too far from the last): note it.
	_, err = l.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                aws.String(l.table),
		Key:                      key(dayKey),
		UpdateExpression:         aws.String("SET #st = :window, #exp = if_not_exists(#exp, :exp)"),
		ConditionExpression:      aws.String("attribute_not_exists(#st) OR #st < :window"),
		ExpressionAttributeNames: map[string]string{"#st": attrStrike, "#exp": attrExpires},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":window": num(window),
			":exp":    num(l.dayExpiry(w).Unix()),
		},
	})
	if err != nil && !isConditionFailed(err) {
		return v, fmt.Errorf("quota: note strike on %s: %w", dayKey, err)
	}
	return v, nil
}

// DayBack clears the mark of a day spent by others, and its strikes: the
// probe's call was answered (not with a 429), so the tenant's day is back.
func (l *Limiter) DayBack(ctx context.Context) error {
	dayKey := l.DayKey(l.o.Now())
	_, err := l.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                aws.String(l.table),
		Key:                      key(dayKey),
		UpdateExpression:         aws.String("REMOVE #sp, #pa, #st"),
		ConditionExpression:      aws.String("attribute_exists(#sp)"),
		ExpressionAttributeNames: map[string]string{"#sp": attrSpent, "#pa": attrProbe, "#st": attrStrike},
	})
	if err != nil && !isConditionFailed(err) {
		return fmt.Errorf("quota: clear the spent mark of %s: %w", dayKey, err)
	}
	return nil
}

// markOf is the *LimitError of a day item marked spent, nil when it is not.
func (l *Limiter) markOf(item map[string]types.AttributeValue, w windows) *LimitError {
	if _, ok := item[attrSpent]; !ok {
		return nil
	}
	return l.daySpentError(w, time.UnixMilli(getNum(item, attrProbe)))
}

func (l *Limiter) daySpentError(w windows, probe time.Time) *LimitError {
	return &LimitError{Err: ErrDailyExhausted, Limit: LimitDaySpent, Resets: w.dayEnd.Add(l.guard()), Probe: probe.UTC()}
}

// Remaining is what is left of the quota: the units left in the current
// minute and day windows and when each window resets.
type Remaining struct {
	MinuteLeft, DayLeft     int
	MinuteResets, DayResets time.Time
	// DaySpentByOthers: the day is marked spent (see RateLimited); DayLeft
	// is then 0, and NextProbe is when one call is next let through.
	DaySpentByOthers bool
	NextProbe        time.Time
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
	if _, ok := dayItem[attrSpent]; ok {
		r.DayLeft, r.DaySpentByOthers = 0, true
		r.NextProbe = time.UnixMilli(getNum(dayItem, attrProbe)).UTC()
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
