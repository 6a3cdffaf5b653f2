#!/usr/bin/env python3
"""Render the chat-template goldens for inference/chat with Python Jinja2.

The renders are what Hugging Face's tokenizer.apply_chat_template produces:
the same sandboxed environment (trim_blocks, lstrip_blocks, loopcontrols, a
no-op {% generation %} tag), the same globals (raise_exception, strftime_now)
and the same tojson filter, with messages, tools=None, documents=None,
add_generation_prompt and the special-token texts as template variables.
strftime_now is pinned to the manifest's "now" date so renders are stable.

Usage (from the repository root):
    python3 tools/templates/render_goldens.py [TESTDATA_DIR]
TESTDATA_DIR defaults to $BURROW_TESTDATA or ../shared/testdata; it is only
read for the templates stored inside GGUF vocabulary files.
Writes inference/chat/testdata/golden/<template>.json.
"""

import json
import os
import struct
import sys
from datetime import datetime
from pathlib import Path

import jinja2
import jinja2.ext
from jinja2.exceptions import TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

ROOT = Path(__file__).resolve().parents[2]
CHAT = ROOT / "inference" / "chat" / "testdata"


class GenerationTag(jinja2.ext.Extension):
    """HF's AssistantTracker: {% generation %} passes its body through."""

    tags = {"generation"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(("name:endgeneration",), drop_needle=True)
        return jinja2.nodes.Scope(body).set_lineno(lineno)


def make_env(now):
    def raise_exception(message):
        raise TemplateError(message)

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent,
                          separators=separators, sort_keys=sort_keys)

    def strftime_now(fmt):
        return now.strftime(fmt)

    env = ImmutableSandboxedEnvironment(
        trim_blocks=True, lstrip_blocks=True,
        extensions=[GenerationTag, jinja2.ext.loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    return env


def gguf_kvs(path):
    """The metadata of a GGUF file (only what the goldens need: strings,
    integers and string arrays), read the way the format spec lays it out."""
    data = Path(path).read_bytes()
    if data[:4] != b"GGUF":
        raise ValueError(f"{path}: not a GGUF file")
    off = 4
    _version, _ntensors, nkv = struct.unpack_from("<IQQ", data, off)
    off += 20
    scalar = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f",
              7: "<?", 10: "<Q", 11: "<q", 12: "<d"}

    def read_str():
        nonlocal off
        (n,) = struct.unpack_from("<Q", data, off)
        off += 8
        s = data[off:off + n].decode("utf-8")
        off += n
        return s

    def read_value(t):
        nonlocal off
        if t == 8:
            return read_str()
        if t == 9:
            et, n = struct.unpack_from("<IQ", data, off)
            off += 12
            return [read_value(et) for _ in range(n)]
        fmt = scalar[t]
        (v,) = struct.unpack_from(fmt, data, off)
        off += struct.calcsize(fmt)
        return v

    kvs = {}
    for _ in range(nkv):
        key = read_str()
        (t,) = struct.unpack_from("<I", data, off)
        off += 4
        kvs[key] = read_value(t)
    return kvs


def load_template(entry, testdata):
    """Template source and special-token texts for one manifest entry.
    GGUF entries take BOS/EOS texts from the vocabulary, as llama.cpp does."""
    if "gguf" in entry:
        kvs = gguf_kvs(Path(testdata) / entry["gguf"])
        tokens = kvs["tokenizer.ggml.tokens"]

        def text(key):
            i = kvs.get(key)
            return tokens[i] if i is not None and 0 <= i < len(tokens) else None

        return (kvs["tokenizer.chat_template"], text("tokenizer.ggml.bos_token_id"),
                text("tokenizer.ggml.eos_token_id"))
    if "builtin" in entry:
        path = ROOT / "inference" / "chat" / "builtin" / (entry["builtin"] + ".jinja")
    else:
        path = CHAT / "templates" / entry["file"]
    src = path.read_text(encoding="utf-8")
    return src, entry.get("bos"), entry.get("eos")


def render(env, src, conv, bos, eos):
    ctx = {"messages": conv["messages"], "tools": None, "documents": None,
           "add_generation_prompt": conv["add_generation_prompt"]}
    # apply_chat_template passes its other keyword arguments (such as
    # enable_thinking) to the template as variables.
    ctx.update(conv.get("vars", {}))
    if bos is not None:
        ctx["bos_token"] = bos
    if eos is not None:
        ctx["eos_token"] = eos
    try:
        return {"text": env.from_string(src).render(**ctx)}
    except TemplateError as e:
        return {"error": str(e)}


def main():
    testdata = (sys.argv[1] if len(sys.argv) > 1 else
                os.environ.get("BURROW_TESTDATA") or str(ROOT.parent / "shared" / "testdata"))
    manifest = json.loads((CHAT / "templates.json").read_text(encoding="utf-8"))
    env = make_env(datetime.strptime(manifest["now"], "%Y-%m-%d"))
    out_dir = CHAT / "golden"
    out_dir.mkdir(exist_ok=True)
    for entry in manifest["templates"]:
        src, bos, eos = load_template(entry, testdata)
        renders = {name: render(env, src, conv, bos, eos)
                   for name, conv in manifest["conversations"].items()}
        golden = {"template": entry["name"], "bos": bos, "eos": eos,
                  "jinja2": jinja2.__version__, "renders": renders}
        path = out_dir / (entry["name"] + ".json")
        path.write_text(json.dumps(golden, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        errors = sum(1 for r in renders.values() if "error" in r)
        print(f"{path.relative_to(ROOT)}: {len(renders)} renders, {errors} raise")
    return 0


if __name__ == "__main__":
    sys.exit(main())
