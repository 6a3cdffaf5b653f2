//go:build !amd64

package tensor

func fastSets() []*kernelSet { return nil }
