package cli

import (
	"strings"
	"testing"

	"burrow/internal/testenv"
)

// --kv-type takes q8_0 wherever it exists; inspect's memory estimate then
// counts 34 bytes per 32 cached values, and a bad type fails before loading.
func TestKVTypeQ8_0Flag(t *testing.T) {
	path := testenv.Path(t, "models", "stories260K-q8_0.gguf")
	out, err := runCLI(t, "inspect", "--json", "--kv-type", "q8_0", path)
	if err != nil {
		t.Fatal(err)
	}
	var rep inspectReport
	decodeOne(t, out, &rep)
	// 2 * 5 layers * 128 positions * (4 KV heads * 8) values * 34/32 bytes.
	if len(rep.Memory) == 0 || rep.Memory[0].KVCache != 2*5*128*32*34/32 || rep.Memory[0].KVType != "q8_0" {
		t.Errorf("memory %+v", rep.Memory)
	}
	text, err := runCLI(t, "inspect", "--kv-type", "q8_0", path)
	if err != nil || !strings.Contains(text, "KV CACHE (Q8_0)") {
		t.Errorf("table (err %v) lacks the Q8_0 cache:\n%s", err, text)
	}
	for _, cmd := range []string{"run", "bench", "perplexity", "serve", "chat"} {
		if _, err := runCLI(t, cmd, "--kv-type", "q4_0", "--help"); err == nil || !strings.Contains(err.Error(), "q8_0") {
			t.Errorf("%s --kv-type q4_0: error %v, want one naming q8_0", cmd, err)
		}
	}
}
