"""How a question is put to a model: SAT's prompt (its LLaVA-1.5 training text), shared by the exporter, the
training and evaluation code and the model policy."""

from __future__ import annotations

SAT_PROMPT_SUFFIX = "Answer the question using a single word or phrase."


def sat_prompt(question: str, choices: list[str]) -> str:
    """SAT's LLaVA prompt body: question, instruction, quoted choices joined with "or"."""
    if len(choices) == 1:
        return f"{question} {SAT_PROMPT_SUFFIX}"
    quoted = [f'"{c}"' for c in choices]
    opts = " or ".join(quoted) if len(quoted) == 2 else ", ".join(quoted[:-1]) + ", or " + quoted[-1]
    return f"{question} {SAT_PROMPT_SUFFIX} Choose between the following options: {opts}."
