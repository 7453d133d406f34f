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

Depends only on ``gguf`` and ``numpy``.
Usage: make_tiny_gguf.py OUT.gguf [--seed N] [--n-embd 64] [--n-layer 2]
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
    print(f"wrote {args.output}: n_vocab={n_vocab} merges={len(merges)} "
          f"n_embd={n_embd} n_layer={args.n_layer} n_head={n_head} n_ff={n_ff} "
          f"eos={eos} im_start={im_start} im_end={im_end} "
          f"eos_suppressed={not args.allow_eos}")


if __name__ == "__main__":
    main()
