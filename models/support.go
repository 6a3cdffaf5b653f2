package models

import (
	"fmt"

	"burrow/inference/gguf"
)

// checkSupported says why the engine cannot run f, or nil.
//
// TODO(integration): replace with llama.CheckSupported(f) from the engine
// helper (inference/llama) when it lands; this stand-in knows only the
// architectures and tensor types the engine is planned to start with.
var checkSupported = func(f *gguf.File) error {
	switch a := f.Architecture(); a {
	case "llama", "qwen2":
	case "":
		return fmt.Errorf("no general.architecture in the file")
	default:
		return fmt.Errorf("architecture %q is not supported yet", a)
	}
	for _, t := range f.Tensors {
		switch t.Type {
		case gguf.TypeF32, gguf.TypeF16, gguf.TypeBF16, gguf.TypeQ8_0:
		default:
			return fmt.Errorf("tensor type %s (%s) is not supported yet", t.Type, t.Name)
		}
	}
	return nil
}
