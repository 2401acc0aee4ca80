"""SAT-Env: procedurally generated apartments as Gymnasium environments for spatial-reasoning training."""

from setuptools import find_packages, setup

setup(
    name="sat-env",
    version="0.1.0",
    description="Dynamic spatial aptitude training environments: procedural apartments, headless rendering, "
    "spatial QA, Gymnasium envs, dataset export and VLM fine-tuning.",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    python_requires=">=3.10",
    packages=find_packages(include=["sat_env", "sat_env.*", "agents", "agents.*", "qa", "qa.*",
                                    "finetune", "finetune.*", "experiments", "experiments.*"]),
    package_data={"sat_env.scene": ["data/*.json", "data/NOTICE"], "qa": ["data/*.json"]},
    include_package_data=True,
    install_requires=[
        "numpy>=1.24",
        "moderngl>=5.10",
        "glcontext>=3.0",
        "pillow>=10",
        "simplejpeg>=1.7",  # the exporter's JPEG encoder (libjpeg-turbo straight from numpy: ~1.5x PIL's speed)
        "gymnasium>=1.0",
    ],
    extras_require={
        # torch is pinned: the unpinned name pulls a multi-GB CUDA build; 2.13.0 installs the CPU wheel.
        "rl": ["torch==2.13.0", "stable-baselines3>=2.3", "imageio>=2.30", "tensorboard>=2.15", "wandb>=0.17",
               "moviepy>=2.1,<3", "tqdm", "rich"],
        "export": ["pyarrow>=14", "datasets>=3", "tqdm"],
        # `sat finetune` / `sat evaluate` / the model policy (transformers v5 API; tested with 5.23, peft 0.21)
        "train": ["torch==2.13.0", "transformers>=5.0,<6", "peft>=0.18", "accelerate>=1.0", "tokenizers>=0.21",
                  "wandb>=0.17", "pyarrow>=14", "tqdm"],
        # TRL's SFTTrainer on the messages format (the README's recipe; tested with trl 1.16)
        "trl": ["trl>=1.0,<2"],
        "test": ["pytest>=8", "torch==2.13.0", "stable-baselines3>=2.3", "imageio>=2.30", "pyarrow>=14", "datasets>=3",
                 "transformers>=5.0,<6", "peft>=0.18", "accelerate>=1.0", "tokenizers>=0.21", "wandb>=0.17",
                 "ai2thor>=5.0", "trl>=1.0,<2", "moviepy>=2.1,<3", "tensorboard>=2.15"],
        "yaml": ["pyyaml>=6"],
        # `sat export --engine ray`: the same shards as Ray tasks (a cluster needs the output folder on shared storage)
        "ray": ["ray>=2.9"],
        # backend="thor": AI2-THOR 5.x (its Unity build, ~0.5-0.8 GB, is fetched on first use or given by path)
        "thor": ["ai2thor>=5.0"],
    },
    entry_points={"console_scripts": ["sat=sat_env.cli:main"]},
    license="Apache-2.0",
)
