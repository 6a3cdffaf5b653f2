package inference

import (
	"strings"
	"testing"
)

// FuzzStopMatcher holds the streaming matcher to a plain reference: after
// each piece, look for the stop strings in all the text so far; at the
// first piece where one occurs, the reply is the text before the earliest
// occurrence. Without a hit the whole text comes out.
func FuzzStopMatcher(f *testing.F) {
	f.Add("fooE|N|Dbar", "END", "xyz")
	f.Add("one\n|\ntwo", "\n\n", "")
	f.Add("aab|ab|c", "abc", "bca")
	f.Add("caf|é|!", "é!", "")
	f.Fuzz(func(t *testing.T, joined, stop1, stop2 string) {
		pieces := strings.Split(joined, "|")
		stops := []string{stop1, stop2}
		m := newStopMatcher(stops)
		got, hit := "", false
		for _, p := range pieces {
			out, h := m.push(p)
			got += out
			if h {
				hit = true
				break
			}
		}
		if !hit {
			got += m.flush()
		}

		want, wantHit, text := "", false, ""
		for _, p := range pieces {
			text += p
			at := -1
			for _, s := range stops {
				if i := strings.Index(text, s); s != "" && i >= 0 && (at < 0 || i < at) {
					at = i
				}
			}
			if at >= 0 {
				want, wantHit = text[:at], true
				break
			}
		}
		if !wantHit {
			want = text
		}
		if got != want || hit != wantHit {
			t.Errorf("stops %q pieces %q: got %q %v, want %q %v", stops, pieces, got, hit, want, wantHit)
		}
	})
}
