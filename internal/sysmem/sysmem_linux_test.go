package sysmem

import "testing"

func TestParse(t *testing.T) {
	in := "MemTotal:       16314344 kB\nMemFree:         1234 kB\nMemAvailable:    8000000 kB\n"
	if got, err := parse([]byte(in)); err != nil || got != 8000000*1024 {
		t.Fatalf("got %d %v", got, err)
	}
	if _, err := parse([]byte("MemTotal: 1 kB\n")); err == nil {
		t.Fatal("found MemAvailable where there is none")
	}
	if _, err := parse([]byte("MemAvailable: lots kB\n")); err == nil {
		t.Fatal("a bad number was read")
	}
	if n, err := Available(); err != nil || n == 0 {
		t.Errorf("this machine: %d, %v", n, err)
	}
}
