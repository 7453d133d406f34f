#!/usr/bin/env python3
"""Write a tiny random-weights llama-architecture GGUF model.

This is a stand-in model for measuring lmmbench's load generator against a
real OpenAI-compatible server (e.g. ``python -m llama_cpp.server`` or
llama.cpp's ``llama-server``) on machines where no real weights can be
downloaded. The weights are random and the generated text is gibberish; only
the serving path (tokenizer, chat template, sampling, SSE streaming) is real.

The file embeds a byte-level BPE tokenizer ("gpt2" model, "gpt-2"
pre-tokenizer: all 256 byte tokens, a few English merges and ChatML special
tokens) and a ChatML ``tokenizer.chat_template`` so that
/v1/chat/completions works.

By default the output layer carries a large negative logit for the
end-of-generation tokens and for non-printable bytes, so the model never stops
early: every request generates exactly ``max_tokens`` tokens and every token
decodes to printable ASCII. Pass ``--allow-eos`` to let it stop by itself.

With ``--mmproj MMPROJ.gguf`` it also writes a LLaVA-1.5-architecture vision
projector for the text model: a CLIP ViT (patch embedding with class token and
position embeddings, pre-layernorm, ``--vision-layers`` pre-norm blocks with
quick-GELU MLPs) and LLaVA-1.5's 2-layer MLP projector (``mm.0``, GELU,
``mm.2``) onto the text model's ``n_embd``, with the tensor names and metadata
llama.cpp's clip loader reads (``tools/mtmd/clip.cpp``, ``clip-impl.h``;
projector type ``mlp``). As in LLaVA-1.5, the loader takes the features of the
second-to-last block. Each image becomes (image_size / patch_size)^2 tokens:
576 at the default 336 / 14, as in LLaVA-1.5. Serve the pair with
``python -m llama_cpp.server --model OUT.gguf --clip_model_path MMPROJ.gguf
--chat_format llava-1-5``.

``--ban-digits`` keeps the model from ever writing a digit: a judge served with
it never gives a readable grade (tests/e2e/test_llama_cpp.cpp).

Depends only on ``gguf`` and ``numpy``.
Usage: make_tiny_gguf.py OUT.gguf [--seed N] [--n-embd 64] [--n-layer 2]
                         [--mmproj MMPROJ.gguf [--image-size 336] [--patch-size 14]]
"""

import argparse

import numpy as np
import gguf

SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
WORDS = ["the", "and", "ing", "tion", "of", "to", "in", "is", "it", "that",
         "for", "on", "with", "as", "was", "are", "er", "re", "an", "en", "or",
         "at", "es", "ed", "st", "nd", "ou", "ll", "be", "this", "have", "from"]
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)
NEG_BIAS = -1.0e4  # logit offset for tokens the model must never sample
# OpenAI CLIP's image normalisation (openai/clip-vit-large-patch14-336 preprocessor_config.json),
# which LLaVA-1.5's vision tower uses.
CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073]
CLIP_STD = [0.26862954, 0.26130258, 0.27577711]


def byte_chars():
    """GPT-2 style reversible byte -> printable unicode character table."""
    keep = (list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD))
            + list(range(0xAE, 0x100)))
    table, extra = {}, 0
    for b in range(256):
        if b in keep:
            table[b] = chr(b)
        else:
            table[b] = chr(256 + extra)
            extra += 1
    return table


def build_vocab():
    """Return (tokens, token_types, merges, banned_ids, special ids)."""
    bc = byte_chars()
    tokens = [bc[b] for b in range(256)]
    # Printable ASCII and newline are allowed as output; other bytes are not.
    banned = [b for b in range(256) if not (0x20 <= b <= 0x7E or b == 0x0A)]
    merges, seen = [], set(tokens)

    def add_chain(word):
        # "Ġthe" -> merges "Ġ t", "Ġt h", "Ġth e": each adds one token.
        cur = word[0]
        for ch in word[1:]:
            if cur + ch not in seen:
                merges.append(f"{cur} {ch}")
                tokens.append(cur + ch)
                seen.add(cur + ch)
            cur += ch

    space = bc[ord(" ")]
    for c in "abcdefghijklmnopqrstuvwxyz":
        add_chain(space + c)
    for w in WORDS:
        add_chain(w)
        add_chain(space + w)
    types = [int(gguf.TokenType.NORMAL)] * len(tokens)
    ids = {}
    for s in SPECIALS:
        ids[s] = len(tokens)
        tokens.append(s)
        types.append(int(gguf.TokenType.CONTROL))
    return tokens, types, merges, banned, ids


def write_mmproj(path, args, n_embd_text, rng):
    """The vision tower + projector GGUF (see the module docstring)."""
    h, ff, heads = args.vision_embd, 4 * args.vision_embd, args.vision_heads
    if h % heads:
        raise SystemExit("--vision-embd must be a multiple of --vision-heads")
    if args.image_size % args.patch_size:
        raise SystemExit("--image-size must be a multiple of --patch-size")
    n_pos = (args.image_size // args.patch_size) ** 2 + 1  # patches and the class token

    def randn(*shape, std):
        return (rng.standard_normal(shape) * std).astype(np.float32)

    w = gguf.GGUFWriter(path, "clip")
    w.add_name(f"tiny-random-llava-1.5-mmproj-seed{args.seed}")
    w.add_file_type(int(gguf.LlamaFileType.ALL_F32))
    w.add_bool("clip.has_vision_encoder", True)
    w.add_string("clip.projector_type", "mlp")
    w.add_bool("clip.use_gelu", False)  # CLIP's quick-GELU
    w.add_uint32("clip.vision.image_size", args.image_size)
    w.add_uint32("clip.vision.patch_size", args.patch_size)
    w.add_uint32("clip.vision.embedding_length", h)
    w.add_uint32("clip.vision.feed_forward_length", ff)
    w.add_uint32("clip.vision.projection_dim", n_embd_text)
    w.add_uint32("clip.vision.block_count", args.vision_layers)
    w.add_uint32("clip.vision.attention.head_count", heads)
    w.add_float32("clip.vision.attention.layer_norm_epsilon", 1e-5)
    w.add_array("clip.vision.image_mean", CLIP_MEAN)
    w.add_array("clip.vision.image_std", CLIP_STD)
    # numpy shapes are (out, in) as above; the patch embedding is a conv kernel (H, 3, p, p).
    p = args.patch_size
    w.add_tensor("v.class_embd", randn(h, std=1.0))
    w.add_tensor("v.patch_embd.weight", randn(h, 3, p, p, std=1.0 / np.sqrt(3 * p * p)))
    w.add_tensor("v.position_embd.weight", randn(n_pos, h, std=0.02))
    w.add_tensor("v.pre_ln.weight", np.ones(h, np.float32))
    w.add_tensor("v.pre_ln.bias", np.zeros(h, np.float32))
    for i in range(args.vision_layers):
        b = f"v.blk.{i}."
        for name in ("attn_q", "attn_k", "attn_v", "attn_out"):
            w.add_tensor(b + name + ".weight", randn(h, h, std=1.0 / np.sqrt(h)))
            w.add_tensor(b + name + ".bias", np.zeros(h, np.float32))
        for name in ("ln1", "ln2"):
            w.add_tensor(b + name + ".weight", np.ones(h, np.float32))
            w.add_tensor(b + name + ".bias", np.zeros(h, np.float32))
        # The loader tells up from down by shape: ffn_up is (ff, h), ffn_down (h, ff), ff != h.
        w.add_tensor(b + "ffn_up.weight", randn(ff, h, std=1.0 / np.sqrt(h)))
        w.add_tensor(b + "ffn_up.bias", np.zeros(ff, np.float32))
        w.add_tensor(b + "ffn_down.weight", randn(h, ff, std=0.5 / np.sqrt(ff)))
        w.add_tensor(b + "ffn_down.bias", np.zeros(h, np.float32))
    # LLaVA-1.5's mm_projector "mlp2x_gelu": Linear(h, n_embd), GELU, Linear(n_embd, n_embd).
    w.add_tensor("mm.0.weight", randn(n_embd_text, h, std=1.0 / np.sqrt(h)))
    w.add_tensor("mm.0.bias", np.zeros(n_embd_text, np.float32))
    w.add_tensor("mm.2.weight", randn(n_embd_text, n_embd_text, std=1.0 / np.sqrt(n_embd_text)))
    w.add_tensor("mm.2.bias", np.zeros(n_embd_text, np.float32))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    print(f"wrote {path}: image_size={args.image_size} patch_size={p} "
          f"image_tokens={n_pos - 1} vision_embd={h} vision_layers={args.vision_layers} "
          f"projector=mlp -> {n_embd_text}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("output", help="path of the .gguf file to write")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--n-embd", type=int, default=64)
    ap.add_argument("--n-layer", type=int, default=2)
    ap.add_argument("--n-head", type=int, default=4)
    ap.add_argument("--n-ff", type=int, default=0, help="default 3*n_embd")
    ap.add_argument("--ctx", type=int, default=2048)
    ap.add_argument("--allow-eos", action="store_true",
                    help="let the model emit end-of-generation tokens")
    ap.add_argument("--ban-digits", action="store_true", help="never emit a digit")
    ap.add_argument("--mmproj", help="also write a LLaVA-1.5 vision projector GGUF here")
    ap.add_argument("--image-size", type=int, default=336)
    ap.add_argument("--patch-size", type=int, default=14)
    ap.add_argument("--vision-embd", type=int, default=32)
    ap.add_argument("--vision-heads", type=int, default=4)
    ap.add_argument("--vision-layers", type=int, default=2)
    args = ap.parse_args()

    n_embd, n_head = args.n_embd, args.n_head
    n_ff = args.n_ff or 3 * n_embd
    if n_embd % n_head or (n_embd // n_head) % 2:
        ap.error("n_embd / n_head must be an even integer")
    tokens, types, merges, banned, sp = build_vocab()
    eos, im_start, im_end = (sp[s] for s in SPECIALS)
    banned.append(im_start)
    if not args.allow_eos:
        banned += [eos, im_end]
    if args.ban_digits:
        banned += [i for i, t in enumerate(tokens) if any(c.isdigit() for c in t)]
    n_vocab = len(tokens)
    rng = np.random.default_rng(args.seed)

    def randn(rows, cols, std):
        return (rng.standard_normal((rows, cols)) * std).astype(np.float32)

    w = gguf.GGUFWriter(args.output, "llama")
    w.add_name(f"tiny-random-llama-seed{args.seed}")
    w.add_file_type(int(gguf.LlamaFileType.ALL_F32))
    w.add_context_length(args.ctx)
    w.add_embedding_length(n_embd)
    w.add_block_count(args.n_layer)
    w.add_feed_forward_length(n_ff)
    w.add_head_count(n_head)
    w.add_head_count_kv(n_head)
    w.add_rope_dimension_count(n_embd // n_head)
    w.add_rope_freq_base(10000.0)
    w.add_layer_norm_rms_eps(1e-5)
    w.add_vocab_size(n_vocab)

    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre("gpt-2")
    w.add_token_list(tokens)
    w.add_token_types(types)
    w.add_token_merges(merges)
    w.add_bos_token_id(eos)
    w.add_eos_token_id(eos)
    w.add_add_bos_token(False)
    w.add_chat_template(CHAT_TEMPLATE)

    # Hidden dimension 0 is a constant "bias channel": it is 1.0 in every
    # token embedding and no layer writes to it (row 0 of attn_output and
    # ffn_down is zero), so after the final RMS norm it is always > 0. Column
    # 0 of the output matrix then acts as a per-token logit bias.
    # numpy shapes are (out, in); gguf stores them as ggml ne = (in, out).
    embd = randn(n_vocab, n_embd, 1.0)
    embd[:, 0] = 1.0
    w.add_tensor("token_embd.weight", embd)
    for i in range(args.n_layer):
        p = f"blk.{i}."
        sa, sf = 1.0 / np.sqrt(n_embd), 1.0 / np.sqrt(n_ff)
        w.add_tensor(p + "attn_norm.weight", np.ones(n_embd, np.float32))
        for name in ("attn_q", "attn_k", "attn_v"):
            w.add_tensor(p + name + ".weight", randn(n_embd, n_embd, sa))
        wo = randn(n_embd, n_embd, 0.5 * sa)
        wo[0, :] = 0.0
        w.add_tensor(p + "attn_output.weight", wo)
        w.add_tensor(p + "ffn_norm.weight", np.ones(n_embd, np.float32))
        w.add_tensor(p + "ffn_gate.weight", randn(n_ff, n_embd, sa))
        w.add_tensor(p + "ffn_up.weight", randn(n_ff, n_embd, sa))
        wd = randn(n_embd, n_ff, 0.5 * sf)
        wd[0, :] = 0.0
        w.add_tensor(p + "ffn_down.weight", wd)
    w.add_tensor("output_norm.weight", np.ones(n_embd, np.float32))
    out = randn(n_vocab, n_embd, 2.0 / np.sqrt(n_embd))
    out[:, 0] = 0.0
    out[banned, 0] = NEG_BIAS
    w.add_tensor("output.weight", out)

    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    if args.mmproj:
        write_mmproj(args.mmproj, args, n_embd, rng)
    print(f"wrote {args.output}: n_vocab={n_vocab} merges={len(merges)} "
          f"n_embd={n_embd} n_layer={args.n_layer} n_head={n_head} n_ff={n_ff} "
          f"eos={eos} im_start={im_start} im_end={im_end} "
          f"eos_suppressed={not args.allow_eos}")


if __name__ == "__main__":
    main()
