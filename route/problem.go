package route

import (
	"fmt"
	"strconv"
	"strings"
)

// Severity tells errors from warnings.
type Severity uint8

const (
	// SeverityError marks a problem that makes the object invalid: Istio
	// would reject it and Compile refuses it.
	SeverityError Severity = iota
	// SeverityWarning marks a problem Istio accepts but that likely does not
	// do what was meant, or behaves differently between semantics profiles.
	SeverityWarning
	// SeverityInfo marks a note, not a mistake: behaviour worth knowing,
	// such as a default that differs between semantics profiles. Neither
	// Errors nor Warnings returns it.
	SeverityInfo
)

// String returns "error", "warning" or "info".
func (s Severity) String() string {
	switch s {
	case SeverityWarning:
		return "warning"
	case SeverityInfo:
		return "info"
	}
	return "error"
}

// Problem is one error or warning about configuration. It names where the
// problem is (file and document, object, field path), the offending value
// and the rule broken, and prints as one line a person can act on:
//
//	reviews.yaml doc 2: VirtualService default/reviews: spec.http[1].route[0].weight: -5 is out of range [0, 100]
type Problem struct {
	Severity Severity
	Source   Source    // file and document, when loaded from files
	Object   ObjectRef // the object; Kind alone when the object has no name yet
	Field    string    // field path, e.g. "spec.http[1].route[0].weight"
	Value    string    // the offending value as written, or ""
	Rule     string    // what is wrong, e.g. "is out of range [0, 100]"
	// Code is a stable identifier for the rule, e.g. "weight-range", for
	// tools that filter problems.
	Code string
}

// Error formats the problem as one line (without the severity prefix).
func (p *Problem) Error() string {
	var b strings.Builder
	if p.Source.File != "" {
		b.WriteString(p.Source.File)
		if p.Source.Doc > 0 {
			b.WriteString(" doc ")
			b.WriteString(strconv.Itoa(p.Source.Doc))
		}
		b.WriteString(": ")
	}
	if p.Object.Kind != "" || p.Object.Name != "" {
		if p.Object.Name == "" {
			b.WriteString(p.Object.Kind)
		} else {
			b.WriteString(p.Object.String())
		}
		b.WriteString(": ")
	}
	if p.Field != "" {
		b.WriteString(p.Field)
		b.WriteString(": ")
	}
	if p.Value != "" {
		b.WriteString(p.Value)
		b.WriteString(" ")
	}
	b.WriteString(p.Rule)
	return b.String()
}

// String formats the problem with its severity: "error: ..." or "warning: ...".
func (p *Problem) String() string { return p.Severity.String() + ": " + p.Error() }

// Problems is a list of problems; as an error it reports its errors.
type Problems []*Problem

// Errors returns the problems of error severity.
func (ps Problems) Errors() Problems { return ps.filter(SeverityError) }

// Warnings returns the problems of warning severity.
func (ps Problems) Warnings() Problems { return ps.filter(SeverityWarning) }

func (ps Problems) filter(s Severity) Problems {
	var out Problems
	for _, p := range ps {
		if p.Severity == s {
			out = append(out, p)
		}
	}
	return out
}

// Err returns nil when ps holds no error-severity problem, else an error
// listing them (inspect it with errors.As(err, &route.Problems{})).
func (ps Problems) Err() error {
	errs := ps.Errors()
	if len(errs) == 0 {
		return nil
	}
	return errs
}

// Error lists the problems one per line.
func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.Error()
	}
	if len(lines) == 1 {
		return lines[0]
	}
	return fmt.Sprintf("%d problems:\n%s", len(lines), strings.Join(lines, "\n"))
}

// Unwrap returns the individual problems, so errors.As finds a *Problem.
func (ps Problems) Unwrap() []error {
	out := make([]error, len(ps))
	for i, p := range ps {
		out[i] = p
	}
	return out
}
