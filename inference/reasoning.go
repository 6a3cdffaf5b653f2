package inference

import "strings"

// ReasoningSyntax is how a model's replies mark their reasoning (the
// thinking it does before it answers).
type ReasoningSyntax int

const (
	ReasoningNone ReasoningSyntax = iota
	// ReasoningThinkTags: "<think>…</think>" then the answer (Qwen3,
	// DeepSeek-R1, QwQ).
	ReasoningThinkTags
	// ReasoningHarmony: gpt-oss's channels,
	// "<|channel|>analysis<|message|>…<|end|><|start|>assistant<|channel|>final<|message|>…".
	ReasoningHarmony
	// ReasoningChannel: Gemma 4's thought channel,
	// "<|channel>thought\n…<channel|>" then the answer.
	ReasoningChannel
)

// ReasoningFormat says how to split a reply into reasoning and answer.
type ReasoningFormat struct {
	Syntax ReasoningSyntax
	// Open: the prompt already opened the think tag (DeepSeek-R1 and QwQ
	// templates end the generation prompt with "<think>\n"), so the reply
	// starts as reasoning.
	Open bool
}

// Think-tag and harmony markers.
const (
	thinkOpen  = "<think>"
	thinkClose = "</think>"
	hChannel   = "<|channel|>"
	hMessage   = "<|message|>"
	hStart     = "<|start|>"
	// Gemma 4: the channel name is part of the opening marker (the
	// thought channel is the only one its template writes).
	channelOpen  = "<|channel>thought"
	channelClose = "<channel|>"
)

// tags are the opening and closing markers of a tag syntax.
func (f ReasoningFormat) tags() (open, close string) {
	if f.Syntax == ReasoningChannel {
		return channelOpen, channelClose
	}
	return thinkOpen, thinkClose
}

// harmonyEnds end a harmony message's body.
var harmonyEnds = []string{"<|end|>", "<|return|>", "<|call|>", hStart, hChannel}

// ReasoningOf finds the reasoning syntax of a chat template (its Jinja
// source) and the prompt it rendered: templates that mention the markers
// parse them out of history, so their models write them.
func ReasoningOf(templateSource, prompt string) ReasoningFormat {
	switch {
	case strings.Contains(templateSource, hChannel) && strings.Contains(templateSource, hMessage):
		return ReasoningFormat{Syntax: ReasoningHarmony}
	case strings.Contains(templateSource, channelOpen) && strings.Contains(templateSource, channelClose):
		// Gemma 4 ends a no-thinking prompt with an empty, closed channel.
		open := strings.LastIndex(prompt, channelOpen)
		return ReasoningFormat{Syntax: ReasoningChannel, Open: open >= 0 && open > strings.LastIndex(prompt, channelClose)}
	case strings.Contains(templateSource, thinkClose) || strings.Contains(templateSource, thinkOpen):
		// (Some only open the tag in the generation prompt, others only
		// parse "</think>" out of past replies.)
		// The prompt ends inside a think tag when its last "<think>"
		// comes after its last "</think>" (Qwen3's enable_thinking=false
		// writes an empty, closed one: not open).
		open := strings.LastIndex(prompt, thinkOpen)
		return ReasoningFormat{Syntax: ReasoningThinkTags, Open: open >= 0 && open > strings.LastIndex(prompt, thinkClose)}
	}
	return ReasoningFormat{}
}

// ThinkSwitch reports whether a chat template has Qwen3's enable_thinking
// variable, the switch that turns its reasoning off.
func ThinkSwitch(templateSource string) bool {
	return strings.Contains(templateSource, "enable_thinking")
}

// Part is a stretch of a reply's text: reasoning or answer.
type Part struct {
	Text      string
	Reasoning bool
}

// splitter states.
const (
	splitStart     = iota // think tags: nothing shown yet, "<think>" may open
	splitReasoning        // inside the reasoning
	splitAnswer           // in the answer
	splitHeader           // harmony: reading a message header up to <|message|>
)

// ReasoningSplitter splits streamed reply text into reasoning and answer
// by the format's markers, which it removes. A marker may arrive split
// across pieces: the text that could still become one is held back until
// it is decided (or Flush). Whitespace between the parts is dropped.
type ReasoningSplitter struct {
	f         ReasoningFormat
	state     int
	reasoning bool   // harmony: the current body is the analysis channel
	pending   string // held back: a possible marker or the end of a reasoning's whitespace
	trim      bool   // drop the leading whitespace of what comes next
}

// NewReasoningSplitter starts a splitter for one reply.
func NewReasoningSplitter(f ReasoningFormat) *ReasoningSplitter {
	s := &ReasoningSplitter{f: f, trim: true}
	switch {
	case f.Syntax == ReasoningHarmony:
		s.state = splitHeader
	case f.Open:
		s.state = splitReasoning
	case f.Syntax == ReasoningThinkTags || f.Syntax == ReasoningChannel:
		s.state = splitStart
	default:
		s.state, s.trim = splitAnswer, false
	}
	return s
}

// Push adds text and appends to dst the parts that are decided.
func (s *ReasoningSplitter) Push(dst []Part, text string) []Part {
	if s.f.Syntax == ReasoningNone {
		return appendPart(dst, text, false)
	}
	s.pending += text
	for {
		var more bool
		dst, more = s.step(dst)
		if !more {
			return dst
		}
	}
}

// Flush appends what is still held back: the reply ended, so a marker that
// never completed is text.
func (s *ReasoningSplitter) Flush(dst []Part) []Part {
	if s.f.Syntax == ReasoningNone {
		return dst
	}
	rest := s.pending
	s.pending = ""
	switch s.state {
	case splitHeader:
		return dst // an unfinished header is markup, not text
	case splitReasoning:
		return s.emit(dst, strings.TrimRightFunc(rest, isSpace), true)
	case splitStart:
		return s.emit(dst, rest, false)
	}
	return s.emit(dst, rest, s.reasoning)
}

// InReasoning reports whether the text being written is reasoning.
func (s *ReasoningSplitter) InReasoning() bool {
	return s.state == splitReasoning || s.state != splitStart && s.reasoning
}

// step consumes what it can of s.pending; more reports that the state
// changed and the rest should be looked at again.
func (s *ReasoningSplitter) step(dst []Part) ([]Part, bool) {
	p := s.pending
	open, close := s.f.tags()
	switch s.state {
	case splitStart:
		q := strings.TrimLeftFunc(p, isSpace)
		switch {
		case q == "" || strings.HasPrefix(open, q):
			return dst, false // may still become "<think>"
		case strings.HasPrefix(q, open):
			s.pending, s.state, s.trim = q[len(open):], splitReasoning, true
			return dst, true
		}
		s.pending, s.state = q, splitAnswer
		return dst, true
	case splitReasoning:
		if i := strings.Index(p, close); i >= 0 {
			dst = s.emit(dst, strings.TrimRightFunc(p[:i], isSpace), true)
			s.pending, s.state, s.trim = p[i+len(close):], splitAnswer, true
			return dst, true
		}
		// Hold back a possible "</think>" and the whitespace before it:
		// the reasoning's last blank lines are not shown.
		cut := len(p) - holdLen(p, close)
		cut = len(strings.TrimRightFunc(p[:cut], isSpace))
		dst = s.emit(dst, p[:cut], true)
		s.pending = p[cut:]
		return dst, false
	case splitHeader:
		if !strings.HasPrefix(p, "<|") && !strings.HasPrefix("<|", p) {
			// Text without a header: the answer, as a plain model writes it.
			s.state, s.reasoning = splitAnswer, false
			return dst, true
		}
		if i := strings.Index(p, hMessage); i >= 0 {
			s.reasoning = harmonyChannel(p[:i]) == "analysis"
			s.pending, s.state, s.trim = p[i+len(hMessage):], splitAnswer, true
			return dst, true
		}
		return dst, false
	}
	// splitAnswer (or a harmony body).
	if s.f.Syntax == ReasoningHarmony {
		at, end := -1, ""
		for _, m := range harmonyEnds {
			if i := strings.Index(p, m); i >= 0 && (at < 0 || i < at) {
				at, end = i, m
			}
		}
		if at >= 0 {
			dst = s.emit(dst, p[:at], s.reasoning)
			s.pending, s.state = p[at:], splitHeader
			if end != hStart && end != hChannel {
				s.pending = p[at+len(end):]
			}
			return dst, true
		}
		cut := len(p)
		for _, m := range harmonyEnds {
			cut = min(cut, len(p)-holdLen(p, m))
		}
		dst = s.emit(dst, p[:cut], s.reasoning)
		s.pending = p[cut:]
		return dst, false
	}
	dst = s.emit(dst, p, false)
	s.pending = ""
	return dst, false
}

// emit appends text as a part, dropping the leading whitespace of a part
// that just began.
func (s *ReasoningSplitter) emit(dst []Part, text string, reasoning bool) []Part {
	if s.trim {
		text = strings.TrimLeftFunc(text, isSpace)
		if text == "" {
			return dst
		}
		s.trim = false
	}
	return appendPart(dst, text, reasoning)
}

// appendPart appends text, joining it to the last part of the same kind.
func appendPart(dst []Part, text string, reasoning bool) []Part {
	if text == "" {
		return dst
	}
	if n := len(dst); n > 0 && dst[n-1].Reasoning == reasoning {
		dst[n-1].Text += text
		return dst
	}
	return append(dst, Part{Text: text, Reasoning: reasoning})
}

// harmonyChannel is the channel a harmony header names
// ("assistant<|channel|>analysis" → "analysis").
func harmonyChannel(header string) string {
	i := strings.LastIndex(header, hChannel)
	if i < 0 {
		return ""
	}
	ch := header[i+len(hChannel):]
	if j := strings.IndexAny(ch, " <"); j >= 0 {
		ch = ch[:j] // " to=functions.x" or "<|constrain|>json" follow
	}
	return ch
}

// holdLen is the length of the longest end of s that begins marker (but is
// not all of it).
func holdLen(s, marker string) int {
	for k := min(len(marker)-1, len(s)); k > 0; k-- {
		if strings.HasSuffix(s, marker[:k]) {
			return k
		}
	}
	return 0
}

func isSpace(r rune) bool { return r == ' ' || r == '\n' || r == '\t' || r == '\r' }
