package tensor

// fastSets are the assembly kernel sets this CPU can run.
func fastSets() []*kernelSet {
	var sets []*kernelSet
	if haveAVX2 {
		sets = append(sets, fastSet)
	}
	if haveVNNI {
		sets = append(sets, vnniSet)
	}
	return sets
}
