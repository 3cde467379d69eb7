"""Deployment settings: defaults are the embedded, single-machine configuration."""

from __future__ import annotations

import os
from pathlib import Path

import yaml
from pydantic import BaseModel, Field

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseModel):
    """What an operator may set, from a YAML file or HIRELENS_* environment variables."""

    model_repo: Path = Field(default=PROJECT_ROOT / "model_repo", description="Triton model repository")
    model_weights: dict[str, str] = Field(
        default_factory=dict,
        description="model name -> local weights path (replaces the weights the pip package ships)",
    )
    frame_rate: float = Field(default=2.0, gt=0, le=30, description="video frames sampled per second")
    max_duration_s: float = Field(default=4 * 3600, gt=0, description="longest recording accepted")
    max_frame_pixels: int = Field(default=7680 * 4320, gt=0, description="largest frame accepted (8K)")

    @classmethod
    def load(cls, path: Path | None = None) -> Settings:
        data: dict = {}
        if path is not None:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if repo := os.environ.get("HIRELENS_MODEL_REPO"):
            data["model_repo"] = repo
        if weights := os.environ.get("HIRELENS_MODEL_WEIGHTS"):
            pairs = (item.split("=", 1) for item in weights.split(",") if "=" in item)
            data.setdefault("model_weights", {}).update({k.strip(): v.strip() for k, v in pairs})
        if rate := os.environ.get("HIRELENS_FRAME_RATE"):
            data["frame_rate"] = float(rate)
        return cls.model_validate(data)
