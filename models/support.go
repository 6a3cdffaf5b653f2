package models

import "burrow/inference/llama"

// checkSupported says why the engine cannot run a file, or nil. A variable
// so tests can pretend the engine supports their tiny synthesized files.
var checkSupported = llama.CheckSupported
