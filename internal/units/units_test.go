package units

import "testing"

func TestBytes(t *testing.T) {
	for _, c := range []struct {
		n        int64
		dec, bin string
	}{
		{0, "0 B", "0 B"},
		{999, "999 B", "999 B"},
		{1000, "1.0 kB", "1000 B"},
		{1536, "1.5 kB", "1.5 KiB"},
		{1321078944, "1.3 GB", "1.2 GiB"},
		{-2048, "-2.0 kB", "-2.0 KiB"},
	} {
		if got := Bytes(c.n); got != c.dec {
			t.Errorf("Bytes(%d) = %q, want %q", c.n, got, c.dec)
		}
		if got := IBytes(c.n); got != c.bin {
			t.Errorf("IBytes(%d) = %q, want %q", c.n, got, c.bin)
		}
	}
}
