package route

import (
	"bytes"
	"encoding/json"
	"io"
)

// document is one YAML or JSON document of an input, with where it starts.
type document struct {
	text []byte
	doc  int  // 1-based index among the input's non-empty documents
	line int  // 1-based line of the input where text starts
	json bool // text is one JSON value (from a JSON stream)
}

// splitDocuments cuts an input into documents as kubectl does: a YAML
// stream separated by "---" lines (a "..." line ends a document), or, when
// the input starts with "{", a stream of JSON objects. Documents holding
// only blanks and comments are dropped and not counted.
func splitDocuments(b []byte) []document {
	if t := bytes.TrimLeft(b, " \t\r\n"); len(t) > 0 && t[0] == '{' {
		if docs, ok := splitJSON(b); ok {
			return docs
		}
	}
	var (
		docs  []document
		start = 0 // offset of the current document
		line  = 1 // line number at offset
		first = 1 // line the current document starts on
	)
	flush := func(end int) {
		text := b[start:end]
		if !blankYAML(text) {
			docs = append(docs, document{text: text, doc: len(docs) + 1, line: first})
		}
	}
	for off := 0; off < len(b); {
		end := bytes.IndexByte(b[off:], '\n')
		next := len(b)
		if end >= 0 {
			next = off + end + 1
		}
		l := bytes.TrimRight(b[off:next], "\r\n")
		switch {
		case isDocSeparator(l, "---"):
			flush(off)
			// Text after "--- " on the same line belongs to the new document.
			start, first = off+3, line
		case isDocSeparator(l, "..."):
			flush(off)
			start, first = next, line+1
		}
		off = next
		line++
	}
	flush(len(b))
	return docs
}

// isDocSeparator reports whether line is marker alone or followed by
// white space.
func isDocSeparator(line []byte, marker string) bool {
	if !bytes.HasPrefix(line, []byte(marker)) {
		return false
	}
	rest := line[len(marker):]
	return len(rest) == 0 || rest[0] == ' ' || rest[0] == '\t'
}

// blankYAML reports whether text holds nothing but white space, comments
// and directives.
func blankYAML(text []byte) bool {
	for len(text) > 0 {
		var l []byte
		if i := bytes.IndexByte(text, '\n'); i >= 0 {
			l, text = text[:i], text[i+1:]
		} else {
			l, text = text, nil
		}
		l = bytes.TrimSpace(l)
		if len(l) > 0 && l[0] != '#' && l[0] != '%' {
			return false
		}
	}
	return true
}

// splitJSON cuts a stream of JSON values. ok is false when the input is
// not a well-formed JSON stream, so it is read as YAML (and any syntax
// error is reported by the YAML parser, with a line).
func splitJSON(b []byte) (docs []document, ok bool) {
	if nestingTooDeep(b) {
		return nil, false
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	for {
		var raw json.RawMessage
		start := dec.InputOffset()
		if err := dec.Decode(&raw); err == io.EOF {
			return docs, true
		} else if err != nil {
			return nil, false
		}
		// The value starts after any white space following start.
		s := int(start)
		for s < len(b) && (b[s] == ' ' || b[s] == '\t' || b[s] == '\r' || b[s] == '\n') {
			s++
		}
		docs = append(docs, document{
			text: raw, doc: len(docs) + 1, line: 1 + bytes.Count(b[:s], []byte("\n")), json: true,
		})
	}
}

// nestingTooDeep reports whether text may nest deeper than maxNesting. It
// over-approximates the YAML/JSON structure cheaply, without parsing, so a
// parser is never handed input deep enough to exhaust its stack: it counts
// open flow brackets ("[", "{"), and, per line, the compact block
// indicators ("- - - x") that each open a level. Brackets inside quoted
// strings count too; real configuration never comes near the limit.
func nestingTooDeep(text []byte) bool {
	depth, lineDepth := 0, 0
	atLineStart := true
	for _, c := range text {
		switch c {
		case '[', '{':
			depth++
			if depth > maxNesting {
				return true
			}
		case ']', '}':
			if depth > 0 {
				depth--
			}
		case '\n':
			atLineStart, lineDepth = true, 0
			continue
		case '-', '?', ':':
			if atLineStart {
				lineDepth++
				if lineDepth > maxNesting {
					return true
				}
			}
			continue
		case ' ', '\t':
			continue
		}
		atLineStart = false
	}
	return false
}
