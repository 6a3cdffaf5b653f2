package models

import (
	"encoding/json"
	"fmt"
	"os"

	"burrow/internal/atomicfile"
)

// writeJSONAtomic stores v as indented JSON at path, atomically.
func writeJSONAtomic(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode %s: %w", path, err)
	}
	return atomicfile.Write(path, append(data, '\n'), 0o600)
}

// readJSON loads path into v. A missing file leaves v untouched and is not an
// error; a corrupt one is reported so callers can decide to ignore it.
func readJSON(path string, v any) error {
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
