package toolcall

import "strings"

// Stream follows a reply as it is generated: Feed returns the text that is
// surely answer, holding back what may be the start of a call (a marker
// split over tokens, or a Llama 3 reply that opens with "{"); Finish parses
// the whole reply. Once a call begins, nothing more is shown: the caller
// sends the calls when the reply ends.
type Stream struct {
	f       Format
	all     strings.Builder // the whole reply
	shown   int             // bytes of all already returned by Feed
	calling bool            // a call has begun
}

// NewStream follows a reply in format f (None passes everything through).
func NewStream(f Format) *Stream { return &Stream{f: f} }

// marker is the text that opens a call in each format.
func (s *Stream) marker() string {
	switch s.f {
	case Hermes:
		return "<tool_call>"
	case Mistral:
		return "[TOOL_CALLS]"
	case Harmony:
		return "to=functions."
	case Gemma4:
		return "<|tool_call>"
	}
	return ""
}

// Feed adds a piece of the reply and returns the text now safe to show.
func (s *Stream) Feed(piece string) string {
	s.all.WriteString(piece)
	if s.calling || s.f == None {
		if s.f == None {
			s.shown = s.all.Len()
			return piece
		}
		return ""
	}
	text := s.all.String()
	pending := text[s.shown:]
	if s.f == Llama3 {
		// A call is the whole reply: hold a reply that may still be one
		// ("{", "[" or <|python_tag|>) until Finish.
		const tag = "<|python_tag|>"
		t := strings.TrimLeft(text, " \n")
		if s.shown == 0 && (t == "" || t[0] == '{' || t[0] == '[' || strings.HasPrefix(t, tag) || strings.HasPrefix(tag, t)) {
			return ""
		}
		s.shown = len(text)
		return pending
	}
	m := s.marker()
	if i := strings.Index(pending, m); i >= 0 {
		s.calling = true
		s.shown += i
		return pending[:i]
	}
	// Hold a tail that may be the marker's beginning.
	keep := 0
	for k := min(len(m)-1, len(pending)); k > 0; k-- {
		if strings.HasSuffix(pending, m[:k]) {
			keep = k
			break
		}
	}
	out := pending[:len(pending)-keep]
	s.shown += len(out)
	return out
}

// Finish parses the whole reply: the answer text not yet shown (rest),
// and the calls. A malformed call comes back as text with its error.
func (s *Stream) Finish() (rest string, calls []Call, err error) {
	text := s.all.String()
	content, calls, err := Parse(s.f, text)
	if err != nil || len(calls) == 0 {
		return text[s.shown:], nil, err
	}
	if len(content) >= s.shown && strings.HasPrefix(content, text[:s.shown]) {
		return content[s.shown:], calls, nil
	}
	return "", calls, nil
}
