package cli

import (
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"burrow/internal/testenv"
)

func TestInspectMapWritesPNG(t *testing.T) {
	path := testenv.Path(t, "models", "stories260K-q8_0.gguf")
	for _, args := range [][]string{
		{"inspect", "--map", "OUT", "--json", path},
		{"inspect", path, "--json", "--map", "OUT"}, // flags after the file too
	} {
		out := filepath.Join(t.TempDir(), "map.png")
		for i := range args {
			if args[i] == "OUT" {
				args[i] = out
			}
		}
		stdout, err := runCLI(t, args...)
		if err != nil {
			t.Fatal(err)
		}
		var rep inspectReport
		decodeOne(t, stdout, &rep) // the map's progress stays off stdout
		fh, err := os.Open(out)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(fh)
		fh.Close()
		if err != nil {
			t.Fatal(err)
		}
		if b := img.Bounds(); b.Dx() < 500 || b.Dy() < 300 {
			t.Errorf("map is %v", b)
		}
	}
}
