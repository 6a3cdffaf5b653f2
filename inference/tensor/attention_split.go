package tensor

// splitScratch is the scratch of the split decode (splitDecode).
type splitScratch struct{}

func newSplitScratch(threads int, sh AttnShape, maxPos int, kind KVKind) *splitScratch { return nil }

func splitScratchBytes(threads int, sh AttnShape, maxPos int, kind KVKind) uint64 { return 0 }

// splitDecode runs a one-token attention split by positions when it pays.
func (j *attentionJob) splitDecode(p *Pool, s *splitScratch) bool { return false }
