package llama

import (
	"errors"
	"fmt"
	"strings"

	"burrow/inference/gguf"
	"burrow/inference/tensor"
)

// ErrUnsupported is wrapped by every "not supported yet" error, so callers
// can tell a file Burrow cannot run from a broken one.
var ErrUnsupported = errors.New("not supported")

type unsupportedError struct{ msg string }

func (e *unsupportedError) Error() string { return e.msg }
func (e *unsupportedError) Unwrap() error { return ErrUnsupported }

func unsupportedArch(arch string) error {
	supported := strings.Join(SupportedArchitectures(), ", ")
	if arch == "" {
		return &unsupportedError{"the file names no architecture (general.architecture); supported: " + supported}
	}
	return &unsupportedError{fmt.Sprintf("%s is not supported yet; supported: %s", arch, supported)}
}

func unsupportedType(name string, t gguf.Type) error {
	var names []string
	for _, st := range tensor.SupportedTypes() {
		names = append(names, st.String())
	}
	return &unsupportedError{fmt.Sprintf("tensor %s has type %s, which is not supported yet; supported: %s",
		name, t, strings.Join(names, ", "))}
}

// CheckSupported tells, without loading anything, whether Load can run the
// file: its architecture, hyperparameters, and the type and shape of every
// tensor the forward pass reads.
func CheckSupported(f *gguf.File) error {
	c, err := ConfigFromGGUF(f)
	if err != nil {
		return err
	}
	for _, s := range families[c.Arch].specs(&c) {
		ti, ok := f.Tensor(s.Name)
		if !ok {
			if s.Optional {
				continue
			}
			return fmt.Errorf("llama: tensor %s is missing", s.Name)
		}
		if !tensor.Supported(ti.Type) {
			return unsupportedType(ti.Name, ti.Type)
		}
		if !sameShape(ti.Shape, s.Shape) {
			return fmt.Errorf("llama: tensor %s has shape %v, want %v", s.Name, ti.Shape, s.Shape)
		}
		if s.Kind == Matrix && s.Shape[0]%int64(ti.Type.BlockSize()) != 0 {
			return fmt.Errorf("llama: tensor %s: row length %d is not a multiple of the %s block size", s.Name, s.Shape[0], ti.Type)
		}
	}
	return nil
}

func sameShape(a, b []int64) bool {
	// ggml may store trailing dimensions of 1.
	for len(a) > len(b) && a[len(a)-1] == 1 {
		a = a[:len(a)-1]
	}
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
