package cli

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"burrow/inference/gguf"
	"burrow/inference/tokenizer"
)

func init() { register(newTokenizeCmd) }

// vocabTestSeparator separates the strings of llama.cpp's tokenizer test
// inputs (.inp files).
const vocabTestSeparator = "\n__ggml_vocab_test__\n"

func newTokenizeCmd() *cobra.Command {
	var modelPath, file, cases string
	var noBOS, special, pieces, asJSON bool
	cmd := &cobra.Command{
		Use:   "tokenize --model F (TEXT | --file F | --cases F.inp)",
		Short: "Print the token ids of a text, as the model's tokenizer splits it",
		Long: "Tokenizes TEXT (or the contents of --file) with the tokenizer stored in the GGUF and prints\n" +
			"the ids separated by spaces. BOS/EOS are added as the model's metadata asks unless --no-bos;\n" +
			"--special lets control tokens written in the text (<|eot_id|>, <s>) become single tokens;\n" +
			"--pieces prints one token per line with its text.\n" +
			"--cases F.inp reads llama.cpp's tokenizer test format (strings separated by\n" +
			"\"\\n__ggml_vocab_test__\\n\") and prints one line per string in the .out format, tokenized\n" +
			"like llama.cpp's test-tokenizer-0 (no BOS/EOS, no special-token parsing).",
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if modelPath == "" {
				return fmt.Errorf("tokenize: --model is required")
			}
			sources := len(args)
			if file != "" {
				sources++
			}
			if cases != "" {
				sources++
			}
			if sources != 1 {
				return fmt.Errorf("tokenize: give exactly one of TEXT, --file or --cases")
			}
			f, err := gguf.Open(modelPath)
			if err != nil {
				return fmt.Errorf("tokenize: %w", err)
			}
			defer f.Close()
			tok, err := tokenizer.FromGGUF(f)
			if err != nil {
				return fmt.Errorf("tokenize: %s: %w", modelPath, err)
			}
			out := bufio.NewWriter(cmd.OutOrStdout())
			defer out.Flush()
			if cases != "" {
				return tokenizeCases(out, tok, cases, asJSON)
			}
			text := ""
			if file != "" {
				data, err := os.ReadFile(file)
				if err != nil {
					return fmt.Errorf("tokenize: %w", err)
				}
				text = string(data)
			} else {
				text = args[0]
			}
			ids := tok.Encode(text, !noBOS, special)
			if asJSON {
				ps := make([]string, len(ids))
				for i, id := range ids {
					ps[i] = string(tok.PieceSpecial(id))
				}
				return writeJSON(out, map[string]any{"model": modelPath, "count": len(ids), "ids": ids, "pieces": ps})
			}
			if pieces {
				for _, id := range ids {
					fmt.Fprintf(out, "%d\t%q\n", id, tok.PieceSpecial(id))
				}
				return nil
			}
			fmt.Fprintln(out, joinIDs(ids))
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&modelPath, "model", "m", "", "GGUF model or vocabulary file")
	fl.StringVarP(&file, "file", "f", "", "read the text from this file")
	fl.StringVar(&cases, "cases", "", "llama.cpp tokenizer test input (.inp): print the .out lines")
	fl.BoolVar(&noBOS, "no-bos", false, "do not add BOS/EOS")
	fl.BoolVar(&special, "special", false, "parse special tokens written in the text")
	fl.BoolVar(&pieces, "pieces", false, "print each token's id and text on its own line")
	fl.BoolVar(&asJSON, "json", false, "print one JSON object")
	return cmd
}

// tokenizeCases prints llama.cpp's .out format: per case a line with a
// leading space before each id, an empty line when there are no tokens.
func tokenizeCases(w io.Writer, tok *tokenizer.Tokenizer, path string, asJSON bool) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("tokenize: %w", err)
	}
	inputs := strings.Split(string(data), vocabTestSeparator)
	if len(inputs) > 0 && inputs[len(inputs)-1] == "" {
		inputs = inputs[:len(inputs)-1] // the file ends with a separator
	}
	all := make([][]int, len(inputs))
	for i, s := range inputs {
		all[i] = tok.Encode(s, false, false)
		if all[i] == nil {
			all[i] = []int{}
		}
	}
	if asJSON {
		return writeJSON(w, map[string]any{"cases": all})
	}
	for _, ids := range all {
		var b strings.Builder
		for _, id := range ids {
			b.WriteByte(' ')
			b.WriteString(strconv.Itoa(id))
		}
		fmt.Fprintln(w, b.String())
	}
	return nil
}

func joinIDs(ids []int) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.Itoa(id)
	}
	return strings.Join(s, " ")
}
