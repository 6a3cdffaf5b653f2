package chat

import "testing"

// FuzzTemplate feeds arbitrary sources to the template engine: whatever it
// makes of them, Parse and Render return (an error at worst), never panic.
func FuzzTemplate(f *testing.F) {
	for _, name := range BuiltinNames() {
		src, _ := BuiltinSource(name)
		f.Add(src)
	}
	f.Add("{% for m in messages %}{{ m['content'] | trim }}{% endfor %}")
	f.Add("{{ messages[0].content[::-1] }}{% set x = namespace(a=1) %}{{ x.a + 'b' }}")
	f.Add("{% macro m(a) %}{{ a }}{% endmacro %}{{ m() }}{{ raise_exception('x') }}")
	msgs := []Message{{Role: "system", Content: "s"}, {Role: "user", Content: "u é"}, {Role: "assistant", Content: "a"}}
	f.Fuzz(func(t *testing.T, src string) {
		tmpl, err := Parse("fuzz", src)
		if err != nil {
			return
		}
		tmpl.Render(msgs, RenderOptions{AddGenerationPrompt: true, BOS: "<s>", EOS: "</s>"})
	})
}
