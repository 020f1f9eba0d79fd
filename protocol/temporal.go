package protocol

import (
	"fmt"
	"strconv"
	"time"
)

// Date is a calendar date without a time of day or zone. It travels as the
// sentinel map {"__date__": true, "value": "YYYY-MM-DD"}, which is how
// Python's datetime.date crosses SDKs.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// String returns the ISO-8601 form, YYYY-MM-DD.
func (d Date) String() string {
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day)
}

// DateOf returns the calendar date of t in t's location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{Year: y, Month: m, Day: d}
}

// TimeOfDay is a wall-clock time without a date or zone. It travels as the
// sentinel map {"__time__": true, "value": "HH:MM:SS[.ffffff]"}, which is
// how Python's datetime.time crosses SDKs. Precision is microseconds.
type TimeOfDay struct {
	Hour, Minute, Second int
	// Microsecond is the fraction of the second, 0-999999.
	Microsecond int
}

// String returns the ISO-8601 form, HH:MM:SS with ".ffffff" when the
// microseconds are not zero (Python's isoformat).
func (t TimeOfDay) String() string {
	s := fmt.Sprintf("%02d:%02d:%02d", t.Hour, t.Minute, t.Second)
	if t.Microsecond != 0 {
		s += fmt.Sprintf(".%06d", t.Microsecond)
	}
	return s
}

// validDate reports whether d is a real calendar date Python's datetime.date
// can hold: year 1-9999.
func validDate(d Date) bool {
	if d.Year < 1 || d.Year > 9999 || d.Month < time.January || d.Month > time.December || d.Day < 1 {
		return false
	}
	return d.Day <= time.Date(d.Year, d.Month+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// validTimeOfDay reports whether t is a wall-clock time Python's
// datetime.time can hold.
func validTimeOfDay(t TimeOfDay) bool {
	return t.Hour >= 0 && t.Hour < 24 && t.Minute >= 0 && t.Minute < 60 &&
		t.Second >= 0 && t.Second < 60 && t.Microsecond >= 0 && t.Microsecond < 1_000_000
}

// checkDateTime reports why t cannot travel as a datetime sentinel, or "":
// the other SDKs read it as Python's datetime does, which holds years
// 1-9999 (of t's own wall clock) and zone offsets under 24 hours.
func checkDateTime(t time.Time) string {
	if y := t.Year(); y < 1 || y > 9999 {
		return "time.Time " + strconv.Itoa(y) + "-…: the protocol's datetimes hold years 1 to 9999"
	}
	if _, off := t.Zone(); off <= -24*3600 || off >= 24*3600 {
		return "time.Time with zone offset " + strconv.Itoa(off) + "s: the protocol's datetimes hold offsets under 24 hours"
	}
	return ""
}

// checkTemporal reports why v, a Date or TimeOfDay, cannot travel, or "".
func checkTemporal(v any) string {
	switch x := v.(type) {
	case Date:
		if !validDate(x) {
			return "protocol.Date " + x.String() + " is not a calendar date in years 1 to 9999"
		}
	case TimeOfDay:
		if !validTimeOfDay(x) {
			return "protocol.TimeOfDay " + x.String() + " is not a time of day"
		}
	}
	return ""
}

// sentinelShaped reports whether m has the shape of a temporal sentinel:
// {<sentinel key>: true, "value": <string>}. Such a map is reserved: every
// SDK reads it as a date or time.
func sentinelShaped(m map[string]any) bool {
	if len(m) != 2 {
		return false
	}
	if _, ok := m["value"].(string); !ok {
		return false
	}
	return m[sentinelDateTime] == true || m[sentinelDate] == true || m[sentinelTime] == true
}

const (
	sentinelDateTime = "__datetime__"
	sentinelDate     = "__date__"
	sentinelTime     = "__time__"
)

// formatDateTime renders t as Python's datetime.isoformat() does for an
// aware datetime: microsecond precision (sub-microsecond digits are
// dropped), the fraction only when non-zero, and a ±HH:MM offset.
func formatDateTime(b []byte, t time.Time) []byte {
	t = t.Truncate(time.Microsecond)
	b = t.AppendFormat(b, "2006-01-02T15:04:05")
	if us := t.Nanosecond() / 1000; us != 0 {
		b = append(b, '.')
		s := strconv.Itoa(us)
		for i := len(s); i < 6; i++ {
			b = append(b, '0')
		}
		b = append(b, s...)
	}
	_, off := t.Zone()
	sign := byte('+')
	if off < 0 {
		sign, off = '-', -off
	}
	b = append(b, sign)
	b = append2(b, off/3600)
	b = append(b, ':')
	b = append2(b, off%3600/60)
	if sec := off % 60; sec != 0 {
		b = append(b, ':')
		b = append2(b, sec)
	}
	return b
}

func append2(b []byte, v int) []byte { return append(b, byte('0'+v/10), byte('0'+v%10)) }

// parseDateTime parses the ISO-8601 forms Python's isoformat emits: with a
// "Z" or ±HH:MM offset, or naive (read as UTC).
func parseDateTime(s string) (time.Time, bool) {
	for _, layout := range [...]string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999-07:00:00", "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999Z07:00"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

func parseDate(s string) (Date, bool) {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		return Date{}, false
	}
	return DateOf(t), true
}

func parseTimeOfDay(s string) (TimeOfDay, bool) {
	for _, layout := range [...]string{"15:04:05.999999999", "15:04:05.999999999Z07:00", "15:04"} {
		if t, err := time.Parse(layout, s); err == nil {
			return TimeOfDay{Hour: t.Hour(), Minute: t.Minute(), Second: t.Second(), Microsecond: t.Nanosecond() / 1000}, true
		}
	}
	return TimeOfDay{}, false
}

// reviveSentinel turns a decoded sentinel map into its temporal value. It
// returns ok=false for a map that is not shaped as a sentinel, and
// malformed=true for one that is but whose value does not parse (a date
// that cannot be read is an error, never a silent zero).
func reviveSentinel(m map[string]any) (v any, ok, malformed bool) {
	if !sentinelShaped(m) {
		return nil, false, false
	}
	s := m["value"].(string)
	switch {
	case m[sentinelDateTime] == true:
		if t, ok := parseDateTime(s); ok {
			return t, true, false
		}
	case m[sentinelDate] == true:
		if d, ok := parseDate(s); ok {
			return d, true, false
		}
	case m[sentinelTime] == true:
		if t, ok := parseTimeOfDay(s); ok {
			return t, true, false
		}
	}
	return nil, false, true
}
