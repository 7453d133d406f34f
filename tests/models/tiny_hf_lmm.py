#!/usr/bin/env python3
"""Tiny random-weight LMMs in Hugging Face format (LLaVA-1.5, LLaVA-NeXT, Qwen2-VL), and a check of
lmmbench's answers against model.generate() called directly (tests/e2e/test_transformers_worker.cpp).

  tiny_hf_lmm.py build DIR [--arch llava|llava-next|qwen2-vl]
      llava (default) writes a LlavaForConditionalGeneration (CLIP ViT 2 layers, hidden 32, 336 px, patch 14:
      576 image tokens; Llama 2 layers, hidden 64), a byte-level BPE tokenizer trained here, a
      CLIPImageProcessor and a LlavaProcessor with a LLaVA-1.5-style chat template
      ("USER: <image>\\n... ASSISTANT:"), with save_pretrained. Nothing is downloaded.
      llava-next: a LlavaNextForConditionalGeneration of the same sizes with a LlavaNextProcessor
      (anyres: grid pinpoints 336x672 and 672x336, so an image is a base tile plus two tiles).
      qwen2-vl: a Qwen2VLForConditionalGeneration (vision 2 layers, embed 32, patch 14, 2x2
      merge; Qwen2 2 layers, hidden 64, M-RoPE sections 2+3+3) with a Qwen2VLProcessor capped at
      224x224 pixels (a 336 px image is 64 tokens) and a Qwen-style chat template
      ("<|im_start|>user\\n<|vision_start|><|image_pad|><|vision_end|>...<|im_end|>"); its image
      processor needs torchvision.

  tiny_hf_lmm.py check DIR --dataset FILE.jsonl --predictions FILE.jsonl --model NAME
                --task NAME --template TEXT --max-tokens N
      for every answer of model NAME and task NAME in lmmbench's prediction log, rebuilds the
      request as lmmbench sent it (TEXT with {question} replaced, after the item's first image),
      calls model.generate() directly (greedy, one request at a time) and prints a JSON object:
      {"checked": n, "errors": [...], "text_mismatches": [...], "usage_mismatches": [...],
       "image_tokens": t} (t: of the last request): answers that differ from generate()'s, prompt token counts that differ
      from the processor's input length (image tokens included).

Run with HF_HUB_OFFLINE=1.
"""
import argparse
import json
import os
import sys

TEMPLATE = (
    "{% for message in messages %}"
    "{% if message['role'] == 'system' %}{{ message['content'][0]['text'] }} "
    "{% elif message['role'] == 'user' %}USER: "
    "{% for c in message['content'] %}{% if c['type'] == 'image' %}<image>\n{% endif %}{% endfor %}"
    "{% for c in message['content'] %}{% if c['type'] == 'text' %}{{ c['text'] }}{% endif %}{% endfor %} "
    "{% else %}ASSISTANT: {{ message['content'][0]['text'] }}</s>{% endif %}"
    "{% endfor %}{% if add_generation_prompt %}ASSISTANT:{% endif %}")

QWEN_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n"
    "{% for c in message['content'] %}{% if c['type'] == 'image' %}<|vision_start|><|image_pad|><|vision_end|>"
    "{% elif c['type'] == 'text' %}{{ c['text'] }}{% endif %}{% endfor %}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")

CORPUS = [
    "USER: ASSISTANT: What colour is the shape? How many shapes are there? Is there a circle?",
    "Answer the question using a single word or phrase. red green blue yellow square circle",
    "Answer with the option's letter from the given choices directly. A B C D left right top",
]


def tokenizer_of(specials, **tokens):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=320, special_tokens=specials,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(CORPUS, trainer)
    return PreTrainedTokenizerFast(tokenizer_object=tok, **tokens)


def build_qwen2_vl(directory):
    import torch
    from transformers import (Qwen2VLConfig, Qwen2VLForConditionalGeneration, Qwen2VLImageProcessor,
                              Qwen2VLProcessor)
    from transformers.models.qwen2_vl.video_processing_qwen2_vl import Qwen2VLVideoProcessor

    specials = ["<unk>", "<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|vision_start|>", "<|vision_end|>",
                "<|image_pad|>", "<|video_pad|>"]
    tokenizer = tokenizer_of(specials, unk_token="<unk>", eos_token="<|im_end|>", pad_token="<|endoftext|>",
                             extra_special_tokens={"image_token": "<|image_pad|>", "video_token": "<|video_pad|>",
                                                   "vision_start_token": "<|vision_start|>",
                                                   "vision_end_token": "<|vision_end|>"})
    ids = {t: tokenizer.convert_tokens_to_ids(t) for t in specials}
    torch.manual_seed(0)
    config = Qwen2VLConfig(
        vision_config={"depth": 2, "embed_dim": 32, "hidden_size": 64, "num_heads": 2, "mlp_ratio": 2,
                       "patch_size": 14, "spatial_merge_size": 2, "temporal_patch_size": 2},
        text_config={"vocab_size": len(tokenizer), "hidden_size": 64, "intermediate_size": 128,
                     "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
                     "max_position_embeddings": 4096,
                     "rope_parameters": {"rope_type": "default", "rope_theta": 10000.0, "mrope_section": [2, 3, 3]},
                     "bos_token_id": None, "eos_token_id": ids["<|im_end|>"], "pad_token_id": ids["<|endoftext|>"]},
        image_token_id=ids["<|image_pad|>"], video_token_id=ids["<|video_pad|>"],
        vision_start_token_id=ids["<|vision_start|>"], vision_end_token_id=ids["<|vision_end|>"])
    model = Qwen2VLForConditionalGeneration(config).eval()
    processor = Qwen2VLProcessor(image_processor=Qwen2VLImageProcessor(min_pixels=56 * 56, max_pixels=224 * 224),
                                 tokenizer=tokenizer, video_processor=Qwen2VLVideoProcessor(),
                                 chat_template=QWEN_TEMPLATE)
    processor.save_pretrained(directory)
    model.save_pretrained(directory)


def build(directory, next_arch):
    import torch
    from transformers import (CLIPImageProcessor, CLIPVisionConfig, LlamaConfig, LlavaConfig,
                              LlavaForConditionalGeneration, LlavaNextConfig,
                              LlavaNextForConditionalGeneration, LlavaNextImageProcessor,
                              LlavaNextProcessor, LlavaProcessor)

    tokenizer = tokenizer_of(["<unk>", "<s>", "</s>", "<pad>", "<image>"], unk_token="<unk>", bos_token="<s>",
                             eos_token="</s>", pad_token="<pad>", extra_special_tokens={"image_token": "<image>"})
    torch.manual_seed(0)
    vision = CLIPVisionConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2,
                              image_size=336, patch_size=14, projection_dim=32)
    text = LlamaConfig(vocab_size=len(tokenizer), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                       num_attention_heads=4, num_key_value_heads=4, max_position_embeddings=4096,
                       pad_token_id=3, bos_token_id=1, eos_token_id=2)
    common = dict(vision_config=vision, text_config=text, image_token_index=4, vision_feature_layer=-2,
                  vision_feature_select_strategy="default")
    processor_args = dict(tokenizer=tokenizer, patch_size=14, vision_feature_select_strategy="default",
                          num_additional_image_tokens=1, chat_template=TEMPLATE, image_token="<image>")
    size = {"size": {"shortest_edge": 336}, "crop_size": {"height": 336, "width": 336}}
    if next_arch:
        pinpoints = [[336, 672], [672, 336]]
        model = LlavaNextForConditionalGeneration(LlavaNextConfig(image_grid_pinpoints=pinpoints, **common))
        processor = LlavaNextProcessor(
            image_processor=LlavaNextImageProcessor(image_grid_pinpoints=pinpoints, **size), **processor_args)
    else:
        model = LlavaForConditionalGeneration(LlavaConfig(projector_hidden_act="gelu", **common))
        processor = LlavaProcessor(image_processor=CLIPImageProcessor(**size), **processor_args)
    processor.save_pretrained(directory)
    model.eval().save_pretrained(directory)


def check(args):
    import torch
    from PIL import Image
    from transformers import AutoModelForImageTextToText, AutoProcessor

    processor = AutoProcessor.from_pretrained(args.dir, local_files_only=True)
    model = AutoModelForImageTextToText.from_pretrained(args.dir, local_files_only=True).eval()
    base = os.path.dirname(os.path.abspath(args.dataset))
    items = {}
    with open(args.dataset, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                item = json.loads(line)
                items[item["id"]] = item
    checked, errors, texts, usage, image_tokens = 0, [], [], [], None
    with open(args.predictions, encoding="utf-8") as f:
        for line in f:
            entry = json.loads(line)
            if entry["model"] != args.model or entry["task"] != args.task:
                continue
            if entry["outcome"] != "ok":
                errors.append({"sample": entry["sample_id"], "error": entry.get("error_message")})
                continue
            item = items[entry["sample_id"]]
            image = Image.open(os.path.join(base, item["images"][0])).convert("RGB")
            messages = [{"role": "user", "content": [
                {"type": "image"}, {"type": "text", "text": args.template.replace("{question}", item["question"])}]}]
            prompt = processor.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
            inputs = processor(images=[image], text=[prompt], return_tensors="pt")
            with torch.inference_mode():
                output = model.generate(**inputs, max_new_tokens=args.max_tokens, do_sample=False)
            length = inputs["input_ids"].shape[1]
            expected = processor.tokenizer.decode(output[0, length:], skip_special_tokens=True).strip()
            image_token = getattr(model.config, "image_token_index", None)
            if image_token is None:
                image_token = model.config.image_token_id
            image_tokens = int((inputs["input_ids"][0] == image_token).sum())
            checked += 1
            if expected != entry["prediction"]:
                texts.append({"sample": entry["sample_id"], "lmmbench": entry["prediction"], "generate": expected})
            if entry["usage"]["prompt_tokens"] != length:
                usage.append({"sample": entry["sample_id"], "lmmbench": entry["usage"]["prompt_tokens"],
                              "generate": length})
    print(json.dumps({"checked": checked, "errors": errors, "text_mismatches": texts,
                      "usage_mismatches": usage, "image_tokens": image_tokens}))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build")
    b.add_argument("dir")
    b.add_argument("--arch", choices=["llava", "llava-next", "qwen2-vl"], default="llava")
    c = sub.add_parser("check")
    c.add_argument("dir")
    c.add_argument("--dataset", required=True)
    c.add_argument("--predictions", required=True)
    c.add_argument("--model", required=True)
    c.add_argument("--task", required=True)
    c.add_argument("--template", required=True)
    c.add_argument("--max-tokens", type=int, required=True)
    args = p.parse_args()
    if args.command == "build":
        if args.arch == "qwen2-vl":
            build_qwen2_vl(args.dir)
        else:
            build(args.dir, args.arch == "llava-next")
    else:
        check(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
