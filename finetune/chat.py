"""How a sample becomes model input text: the chat turns (user: the images, then the text; assistant: the answer) and
the processor's ``images`` argument. Training (finetune.sft_data) and inference (finetune.infer) both render through
here, so they see the same text.
"""

from __future__ import annotations


def user_message(n_images: int, text: str) -> dict:
    return {"role": "user", "content": [*({"type": "image"} for _ in range(n_images)), {"type": "text", "text": text}]}


def render(processor, n_images: int, text: str, answer: str | None = None) -> str:
    """The chat-template text of one sample: the prompt ending with the generation prompt (``answer`` None) or the
    whole exchange including the answer (training)."""
    messages = [user_message(n_images, text)]
    if answer is None:
        return processor.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
    messages.append({"role": "assistant", "content": [{"type": "text", "text": answer}]})
    return processor.apply_chat_template(messages, tokenize=False)


def processor_images(images: list[list]):
    """The ``images`` argument of a processor call for a batch: one list per sample (what multi-image processors
    expect), or None when no sample has an image."""
    if not any(images):
        return None
    if all(images):
        return [list(i) for i in images]
    return [im for sample in images for im in sample]  # text-only samples mixed in: a flat list in prompt order
