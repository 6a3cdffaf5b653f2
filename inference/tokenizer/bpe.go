package tokenizer

// TODO: byte-level BPE (next commit).

type preTokenizer struct{}

func (t *Tokenizer) configurePre(pre string) error { return nil }

func (t *Tokenizer) encodeBPE(text string, out []int) []int { return out }

func bpeDecodeText(s string) []byte { return []byte(s) }
