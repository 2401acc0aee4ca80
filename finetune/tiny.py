"""A tiny LLaVA-style vision-language model built offline from config, with a tokenizer trained on the data's text.

``sat finetune --model tiny`` builds one into ``OUT/base`` and trains it; tests use it because it needs no download.
It is a real ``LlavaForConditionalGeneration`` (CLIP vision tower, projector, Llama language model) saved with a
real ``LlavaProcessor``, so everything that loads it (``AutoModelForImageTextToText``, ``AutoProcessor``, peft) is
the code path of a real checkpoint. Recipe and pitfalls: ../shared/reference/RENDERING_AND_ML_STACK.md B2.

A random init must be trained fully: LoRA on a random model does not get above chance (the frozen random
``lm_head`` and norms cannot make the logits peaked; reference B3), so ``--model tiny`` defaults to ``--full``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

# Newlines are written as {{ '\n' }}: templates render with trim_blocks, which eats a literal newline after a block.
CHAT_TEMPLATE = (
    "{% for message in messages %}{% if message['role'] == 'user' %}USER: "
    "{% for c in message['content'] %}{% if c['type'] == 'image' %}<image>{{ '\\n' }}{% endif %}{% endfor %}"
    "{% for c in message['content'] %}{% if c['type'] == 'text' %}{{ c['text'] }}{% endif %}{% endfor %}{{ '\\n' }}"
    "{% else %}ASSISTANT: {% for c in message['content'] %}{% if c['type'] == 'text' %}{{ c['text'] }}{% endif %}"
    "{% endfor %}</s>{% endif %}{% endfor %}{% if add_generation_prompt %}ASSISTANT:{% endif %}"
)
SPECIAL_TOKENS = ["<pad>", "<s>", "</s>", "<unk>", "<image>"]


@dataclass(frozen=True)
class TinyConfig:
    """Sizes of the tiny model (the defaults train at ~10 steps/s on 2 CPU cores at batch 8)."""

    image_size: int = 64
    """input images are resized to this square size"""
    patch_size: int = 8
    """vision patch size: (image_size / patch_size)^2 image tokens per image"""
    vision_hidden: int = 64
    """CLIP vision tower width"""
    vision_layers: int = 2
    """CLIP vision tower depth"""
    hidden: int = 128
    """language model width"""
    layers: int = 2
    """language model depth"""
    heads: int = 4
    """attention heads of the language model (2 key/value heads)"""
    vocab_size: int = 800
    """target BPE vocabulary size (smaller when the text has fewer merges)"""
    max_length: int = 1024
    """longest sequence, image tokens included"""


def train_tokenizer(texts: Iterable[str], vocab_size: int = 800, max_length: int = 1024):
    """A byte-level BPE tokenizer trained on ``texts`` with SAT-Env's special tokens, as a transformers fast
    tokenizer (left padding for generation)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE(unk_token=None))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=SPECIAL_TOKENS, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(list(texts), trainer=trainer)
    bos = tok.token_to_id("<s>")
    tok.post_processor = processors.TemplateProcessing(single="<s> $A", pair="<s> $A <s> $B",
                                                       special_tokens=[("<s>", bos)])
    return PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>", pad_token="<pad>",
                                   unk_token="<unk>", extra_special_tokens={"image_token": "<image>"},
                                   padding_side="left", model_max_length=max_length)


def build_tiny(out, texts: Iterable[str], cfg: TinyConfig = TinyConfig(), seed: int = 0) -> Path:
    """Build a tiny LLaVA model and processor from config, the tokenizer trained on ``texts`` (the dataset's
    prompts and answers), and save both to ``out`` (loadable with ``AutoModelForImageTextToText`` /
    ``AutoProcessor``). The weights depend only on ``seed`` (a forked torch RNG; the global one is untouched)."""
    import torch
    from transformers import CLIPVisionConfig, LlamaConfig, LlavaConfig, LlavaForConditionalGeneration, LlavaProcessor
    from transformers.models.llava.image_processing_pil_llava import LlavaImageProcessorPil

    out = Path(out)
    tokenizer = train_tokenizer(texts, cfg.vocab_size, cfg.max_length)
    tokenizer.chat_template = CHAT_TEMPLATE
    side = {"height": cfg.image_size, "width": cfg.image_size}
    image_processor = LlavaImageProcessorPil(size=side, crop_size=side, do_center_crop=False, do_resize=True,
                                             do_normalize=True, image_mean=[0.5] * 3, image_std=[0.5] * 3)
    # CLIP adds a CLS token and the "default" strategy drops it: one extra token keeps the placeholder count right.
    processor = LlavaProcessor(image_processor=image_processor, tokenizer=tokenizer, patch_size=cfg.patch_size,
                               vision_feature_select_strategy="default", num_additional_image_tokens=1,
                               chat_template=CHAT_TEMPLATE)
    vision = CLIPVisionConfig(image_size=cfg.image_size, patch_size=cfg.patch_size, num_channels=3,
                              hidden_size=cfg.vision_hidden, intermediate_size=2 * cfg.vision_hidden,
                              num_hidden_layers=cfg.vision_layers, num_attention_heads=4,
                              projection_dim=cfg.vision_hidden)
    text = LlamaConfig(vocab_size=len(tokenizer), hidden_size=cfg.hidden, intermediate_size=2 * cfg.hidden,
                       num_hidden_layers=cfg.layers, num_attention_heads=cfg.heads, num_key_value_heads=2,
                       max_position_embeddings=cfg.max_length, bos_token_id=tokenizer.bos_token_id,
                       eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id,
                       tie_word_embeddings=False)
    config = LlavaConfig(vision_config=vision, text_config=text,
                         image_token_index=tokenizer.convert_tokens_to_ids("<image>"),
                         image_seq_length=(cfg.image_size // cfg.patch_size) ** 2,
                         vision_feature_select_strategy="default", vision_feature_layer=-1,
                         projector_hidden_act="gelu")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = LlavaForConditionalGeneration(config)
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.bos_token_id = tokenizer.bos_token_id
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    processor.save_pretrained(out)
    return out
