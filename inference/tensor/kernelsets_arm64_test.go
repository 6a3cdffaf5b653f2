package tensor

// fastSets are the assembly kernel sets this CPU can run.
func fastSets() []*kernelSet {
	if haveSDOT {
		return []*kernelSet{neonSet}
	}
	return nil
}
