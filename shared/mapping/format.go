package mapping

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// A formatter turns a mapped value into the shape Gainsight wants. A nil
// result leaves the field out.
type formatter func(any) (any, error)

var formats = map[string]formatter{
	"date":     formatDate,
	"datetime": formatDateTime,
	"string":   formatString,
	"number":   formatNumber,
	"boolean":  formatBoolean,
}

var formatNames = []string{"date", "datetime", "string", "number", "boolean"}

// formatDate gives YYYY-MM-DD (the date in UTC) from epoch seconds or
// milliseconds (number or numeric string), an ISO date or date-time, or a
// WCF "/Date(ms)/" value. An empty string is left out.
func formatDate(v any) (any, error) {
	t, ok, err := toTime(v)
	if err != nil || !ok {
		return nil, err
	}
	return t.Format("2006-01-02"), nil
}

// formatDateTime gives an RFC 3339 date-time in UTC from the same inputs.
func formatDateTime(v any) (any, error) {
	t, ok, err := toTime(v)
	if err != nil || !ok {
		return nil, err
	}
	return t.Format(time.RFC3339), nil
}

func formatString(v any) (any, error) {
	if s, ok := scalarString(v); ok {
		return s, nil
	}
	return nil, fmt.Errorf("format string: cannot turn a %s into a string", jsonKind(v))
}

func formatNumber(v any) (any, error) {
	switch t := v.(type) {
	case string:
		s := strings.TrimSpace(t)
		if s == "" {
			return nil, nil
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return nil, fmt.Errorf("format number: %q is not a number", clip(t, 32))
		}
		return f, nil
	case json.Number:
		f, err := t.Float64()
		if err != nil {
			return nil, fmt.Errorf("format number: %q is not a number", clip(t.String(), 32))
		}
		return f, nil
	case bool:
		return nil, fmt.Errorf("format number: a boolean is not a number")
	}
	if f, ok := toFloat(v); ok {
		return f, nil
	}
	return nil, fmt.Errorf("format number: cannot turn a %s into a number", jsonKind(v))
}

func formatBoolean(v any) (any, error) {
	switch t := v.(type) {
	case bool:
		return t, nil
	case string:
		switch strings.ToLower(strings.TrimSpace(t)) {
		case "true", "yes", "1":
			return true, nil
		case "false", "no", "0":
			return false, nil
		case "":
			return nil, nil
		}
		return nil, fmt.Errorf("format boolean: %q is not a boolean", clip(t, 32))
	}
	if f, ok := toFloat(v); ok {
		return f != 0, nil
	}
	return nil, fmt.Errorf("format boolean: cannot turn a %s into a boolean", jsonKind(v))
}

func toFloat(v any) (float64, bool) {
	switch t := v.(type) {
	case float64:
		return t, true
	case float32:
		return float64(t), true
	case int:
		return float64(t), true
	case int64:
		return float64(t), true
	case int32:
		return float64(t), true
	case uint64:
		return float64(t), true
	case json.Number:
		f, err := t.Float64()
		return f, err == nil
	}
	return 0, false
}

// Epoch values at or above this are milliseconds (1e11 s is the year 5138).
const msThreshold = 1e11

func fromEpoch(f float64) (time.Time, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) || f < 0 || f > 1e15 {
		return time.Time{}, fmt.Errorf("epoch value %v out of range", f)
	}
	if f >= msThreshold {
		return time.UnixMilli(int64(f)).UTC(), nil
	}
	return time.Unix(int64(f), 0).UTC(), nil
}

var wcfDate = regexp.MustCompile(`^/Date\((-?\d+)([+-]\d{4})?\)/$`)

var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999Z0700", // Salesforce: 2026-01-01T00:00:00.000+0000
	"2006-01-02T15:04:05.999999999",      // no zone: UTC
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05", // Pipedrive v1: UTC
}

func toTime(v any) (time.Time, bool, error) {
	switch t := v.(type) {
	case time.Time:
		return t.UTC(), true, nil
	case string:
		s := strings.TrimSpace(t)
		if s == "" {
			return time.Time{}, false, nil
		}
		if d, err := time.Parse("2006-01-02", s); err == nil {
			return d, true, nil
		}
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			tm, err := fromEpoch(f)
			return tm, err == nil, wrapDate(err)
		}
		if m := wcfDate.FindStringSubmatch(s); m != nil {
			ms, err := strconv.ParseInt(m[1], 10, 64)
			if err != nil {
				return time.Time{}, false, wrapDate(err)
			}
			return time.UnixMilli(ms).UTC(), true, nil
		}
		for _, layout := range timeLayouts {
			if tm, err := time.Parse(layout, s); err == nil {
				return tm.UTC(), true, nil
			}
		}
		return time.Time{}, false, fmt.Errorf("format date: %q is not a date, date-time or epoch value", clip(s, 40))
	case bool:
		return time.Time{}, false, fmt.Errorf("format date: a boolean is not a date")
	}
	if f, ok := toFloat(v); ok {
		tm, err := fromEpoch(f)
		return tm, err == nil, wrapDate(err)
	}
	return time.Time{}, false, fmt.Errorf("format date: cannot turn a %s into a date", jsonKind(v))
}

func wrapDate(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("format date: %w", err)
}
