package gguf

import "testing"

func TestSizeLabel(t *testing.T) {
	cases := []struct {
		n    int64
		want string
	}{
		{292_000, "292K"}, {15_000_000, "15M"}, {124_000_000, "124M"}, {494_000_000, "494M"},
		{1_100_000_000, "1.1B"}, {1_235_814_400, "1.2B"}, {8_030_000_000, "8.0B"},
		{3_210_000_000, "3.2B"}, {70_600_000_000, "71B"}, {1_500_000_000_000, "1.5T"},
		{5_000, "5.0K"},
	}
	for _, c := range cases {
		if got := SizeLabel(c.n); got != c.want {
			t.Errorf("SizeLabel(%d) = %q, want %q", c.n, got, c.want)
		}
	}
}
