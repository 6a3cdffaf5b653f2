package inference

import "strings"

// stopMatcher finds stop strings in streamed text that may arrive split
// across tokens. It holds back the end of the text that could still turn
// into a stop string, so no part of a stop string reaches the user.
type stopMatcher struct {
	stops   []string
	pending string
}

func newStopMatcher(stops []string) *stopMatcher {
	m := &stopMatcher{}
	for _, s := range stops {
		if s != "" {
			m.stops = append(m.stops, s)
		}
	}
	return m
}

// push adds text and returns what can be shown now. hit reports that a
// stop string was found; out is then the text before it and the rest is dropped.
func (m *stopMatcher) push(text string) (out string, hit bool) {
	if len(m.stops) == 0 {
		return text, false
	}
	m.pending += text
	at := -1
	for _, s := range m.stops {
		if i := strings.Index(m.pending, s); i >= 0 && (at < 0 || i < at) {
			at = i
		}
	}
	if at >= 0 {
		out = m.pending[:at]
		m.pending = ""
		return out, true
	}
	hold := 0
	for _, s := range m.stops {
		for k := min(len(s)-1, len(m.pending)); k > hold; k-- {
			if strings.HasSuffix(m.pending, s[:k]) {
				hold = k
				break
			}
		}
	}
	cut := len(m.pending) - hold
	out, m.pending = m.pending[:cut], m.pending[cut:]
	return out, false
}

// flush returns the held-back text at the end of a reply.
func (m *stopMatcher) flush() string {
	s := m.pending
	m.pending = ""
	return s
}
