package tokenizer

import "strings"

// fragment is either raw text still to tokenize or an already-matched
// special token (token >= 0).
type fragment struct {
	text  string
	token int
}

// Encode turns text into token ids.
//
// addSpecial adds BOS/EOS as the model's metadata asks (AddBOS/AddEOS).
// parseSpecial lets control tokens written in the text (like <|eot_id|>)
// become single tokens; keep it off for user text. User-defined tokens are
// always matched, as in llama.cpp and Hugging Face tokenizers.
func (t *Tokenizer) Encode(text string, addSpecial, parseSpecial bool) []int {
	var frags []fragment
	if text != "" {
		frags = t.partition(text, parseSpecial)
	}
	var out []int
	switch t.model {
	case ModelSPM:
		prevSpecial := true // the first fragment gets the space prefix
		if addSpecial && t.AddBOS() {
			out = append(out, t.bos)
		}
		for _, fr := range frags {
			if fr.token >= 0 {
				out = append(out, fr.token)
				prevSpecial = true
				continue
			}
			s := fr.text
			if t.addSpacePrefix && prevSpecial {
				s = " " + s
			}
			out = t.encodeSPM(strings.ReplaceAll(s, " ", spaceMarker), out)
			prevSpecial = false
		}
	case ModelBPE:
		if addSpecial && t.AddBOS() {
			out = append(out, t.bos)
		}
		for _, fr := range frags {
			if fr.token >= 0 {
				out = append(out, fr.token)
				continue
			}
			out = t.encodeBPE(fr.text, out)
		}
	}
	if addSpecial && t.AddEOS() {
		out = append(out, t.eos)
	}
	return out
}

// spaceMarker is SentencePiece's visible space, U+2581 "▁".
const spaceMarker = "\u2581"

// partition splits text at special-token texts, longest token first, the
// way llama.cpp's tokenizer_st_partition does: each special token in turn
// cuts every remaining raw fragment at all of its (non-overlapping,
// leftmost) occurrences.
func (t *Tokenizer) partition(text string, parseSpecial bool) []fragment {
	frags := []fragment{{text: text, token: -1}}
	for _, id := range t.special {
		a := t.attrs[id]
		if !parseSpecial && a&(attrControl|attrUnknown) != 0 {
			continue
		}
		tok := t.texts[id]
		if tok == "" {
			continue
		}
		var next []fragment
		changed := false
		for _, fr := range frags {
			if fr.token >= 0 || !strings.Contains(fr.text, tok) {
				next = append(next, fr)
				continue
			}
			changed = true
			rest := fr.text
			for {
				i := strings.Index(rest, tok)
				if i < 0 {
					break
				}
				left := rest[:i]
				if a&attrLStrip != 0 {
					left = strings.TrimRight(left, asciiSpace)
				}
				if left != "" {
					next = append(next, fragment{text: left, token: -1})
				}
				next = append(next, fragment{token: id})
				rest = rest[i+len(tok):]
				if a&attrRStrip != 0 {
					rest = strings.TrimLeft(rest, asciiSpace)
				}
			}
			if rest != "" {
				next = append(next, fragment{text: rest, token: -1})
			}
		}
		if changed {
			frags = next
		}
	}
	return frags
}

// asciiSpace is what C's isspace accepts.
const asciiSpace = " \t\n\v\f\r"
