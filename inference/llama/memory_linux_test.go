package llama

import "testing"

func TestParseMemAvailable(t *testing.T) {
	in := "MemTotal:       16314344 kB\nMemFree:         1234 kB\nMemAvailable:    8000000 kB\n"
	if got, ok := parseMemAvailable([]byte(in)); !ok || got != 8000000*1024 {
		t.Fatalf("got %d %v", got, ok)
	}
	if _, ok := parseMemAvailable([]byte("MemTotal: 1 kB\n")); ok {
		t.Fatal("found MemAvailable where there is none")
	}
}
