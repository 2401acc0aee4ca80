"""Fine-tuning, evaluation and dataset tooling (see README).

``quiet_hf()`` is the one place that sets up transformers for offline, quiet use; commands and experiments call it
before loading a model.
"""

from __future__ import annotations

import os

from sat_env.errors import ConfigError


def quiet_hf() -> None:
    """No per-file progress bars from transformers (weights load in a blink for these sizes) and no Hub access."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    try:
        from transformers.utils import logging as hf_logging
    except ImportError as e:
        raise ConfigError('fine-tuning needs transformers, peft and torch: pip install -e ".[train]"') from e
    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()
