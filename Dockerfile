# mammia_seg inference image: the entry point is `mammia_infer`, with the original tool's flags.
#   CPU:  docker build -t unet-infer .
#   CUDA: docker build --build-arg BASE=pytorch/pytorch:2.5.1-cuda12.4-cudnn9-runtime -t unet-infer:cuda .
#         (a base image that already has torch keeps its own CUDA build; the CPU wheel is installed only where torch is missing)
#   run:  docker run --rm -v "$PWD/data:/data" -v "$PWD/results:/results" unet-infer \
#           --phases_folder /data/images/DUKE_001 --checkpoint_path /data/models/best.pth --out_dir /results --device auto
ARG BASE=python:3.11-slim
FROM ${BASE}

ARG TORCH_VERSION=2.13.0
ARG TORCH_INDEX=https://download.pytorch.org/whl/cpu

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    MPLBACKEND=Agg

WORKDIR /opt/mammia_seg

# torch first, from the CPU index: an unpinned torch from PyPI would pull a multi-GB CUDA build
RUN python -c "import torch" 2>/dev/null \
    || pip install --no-cache-dir "torch==${TORCH_VERSION}" --index-url "${TORCH_INDEX}"

# only what `pip install .` needs: the library, not notebooks, data or checkpoints (see .dockerignore)
COPY settings.ini setup.py pyproject.toml README.md ./
COPY mammia_seg ./mammia_seg
RUN pip install --no-cache-dir . \
    && mammia_infer --help > /dev/null

WORKDIR /results
ENTRYPOINT ["mammia_infer"]
CMD ["--help"]
