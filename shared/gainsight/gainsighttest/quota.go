package gainsighttest

import (
	"time"
)

// window is one fixed quota window: calls counted since start.
type window struct {
	start time.Time
	count int
}

// takeQuotaLocked counts one call in the minute and day windows, Gainsight
// style: fixed windows aligned to multiples of their length (minute and UTC
// day boundaries by default), refused calls not counted. When a limit is
// reached it returns the whole seconds until the binding window ends
// (rounded up, at least 1) and false.
func (s *Server) takeQuotaLocked(now time.Time) (retryAfter int, ok bool) {
	type lim struct {
		w      *window
		length time.Duration
		max    int
	}
	lims := []lim{
		{&s.day, s.o.DayWindow, s.o.CallsPerDay},
		{&s.minute, s.o.MinuteWindow, s.o.CallsPerMinute},
	}
	for _, l := range lims {
		start := now.Truncate(l.length)
		if !l.w.start.Equal(start) {
			l.w.start, l.w.count = start, 0
		}
	}
	for _, l := range lims {
		if l.max >= 0 && l.w.count >= l.max {
			return secondsUntil(now, l.w.start.Add(l.length)), false
		}
	}
	for _, l := range lims {
		l.w.count++
	}
	return 0, true
}

func secondsUntil(now, end time.Time) int {
	d := end.Sub(now)
	secs := int((d + time.Second - 1) / time.Second)
	if secs < 1 {
		secs = 1
	}
	return secs
}

// Usage is the state of the quota windows.
type Usage struct {
	MinuteStart, DayStart time.Time
	MinuteCalls, DayCalls int
}

// Usage reports the calls counted in the current windows.
func (s *Server) Usage() Usage {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.o.Now()
	u := Usage{MinuteStart: now.Truncate(s.o.MinuteWindow), DayStart: now.Truncate(s.o.DayWindow)}
	if s.minute.start.Equal(u.MinuteStart) {
		u.MinuteCalls = s.minute.count
	}
	if s.day.start.Equal(u.DayStart) {
		u.DayCalls = s.day.count
	}
	return u
}
