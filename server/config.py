"""Deployment settings: defaults are the embedded, single-machine configuration."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from server.errors import InputError

PROJECT_ROOT = Path(__file__).resolve().parent.parent


GIB = 1024**3


class TenantSettings(BaseModel):
    """One tenant (a recruiting platform or an employer) as the operator declares it.

    Only SHA-256 hashes of API keys appear here: ``hirelens keys new TENANT`` prints a key and its hash.
    """

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    api_key_sha256: list[str] = Field(default_factory=list, description="hex SHA-256 of each API key")
    webhook_url: str | None = Field(default=None, description="POSTed to when a job ends")
    webhook_secret: str | None = Field(default=None, description="HMAC-SHA256 key for webhook signatures")

    @field_validator("api_key_sha256")
    @classmethod
    def _hex_digests(cls, hashes: list[str]) -> list[str]:
        for digest in hashes:
            if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
                raise ValueError(f"'{digest[:12]}...' is not a lower-case hex SHA-256 digest (64 characters)")
        return hashes

    @field_validator("webhook_url")
    @classmethod
    def _web_endpoint(cls, url: str | None) -> str | None:
        """Only a plain web endpoint: a ``file://`` or credential-carrying URL would turn the server's
        sender against its own disk or leak a password into every delivery row and log line."""
        if url is None:
            return None
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018 - raises on a port that is not a number in 0-65535
        except ValueError as exc:
            raise ValueError(f"not a valid URL: {exc}") from None
        if parts.scheme not in ("https", "http"):
            raise ValueError(f"must be an https:// URL, not {parts.scheme or 'one without a scheme'}://")
        if not parts.hostname:
            raise ValueError("names no host")
        if parts.username is not None or parts.password is not None:
            raise ValueError("must not carry credentials (user:password@); sign with webhook_secret instead")
        return url


class TlsSettings(BaseModel):
    """Server certificate and key (PEM); with ``client_ca_file`` clients must present a certificate (mTLS)."""

    model_config = ConfigDict(extra="forbid")

    cert_file: Path
    key_file: Path
    client_ca_file: Path | None = None


class ServerSettings(BaseModel):
    """``hirelens serve``: where it listens, where it keeps jobs, how much it takes on."""

    model_config = ConfigDict(extra="forbid")

    address: str = Field(default="127.0.0.1:8001", description="gRPC host:port (Triton's gRPC port)")
    metrics_port: int | None = Field(default=8002, ge=0, le=65535, description="Prometheus; null = off")
    metrics_host: str = "127.0.0.1"
    data_dir: Path = Field(default=Path.home() / ".hirelens", description="uploads and the SQLite file")
    database_url: str | None = Field(default=None, description="SQLAlchemy URL; default SQLite in data_dir")
    workers: int = Field(default=1, ge=1, le=64, description="interviews analysed at once")
    max_queued_jobs: int = Field(default=100, ge=1, description="beyond this, uploads get RESOURCE_EXHAUSTED")
    max_upload_bytes: int = Field(default=4 * GIB, gt=0, description="largest recording accepted")
    retention_s: float = Field(default=0, ge=0, description="keep recordings this long after analysis")
    policy: str | None = Field(default=None, description="deployment policy for every job, e.g. eu")
    tenants: list[TenantSettings] = Field(default_factory=list)
    tls: TlsSettings | None = None
    inference_requires_api_key: bool = Field(
        default=False,
        description="require a tenant API key on the Triton inference protocol too (probes stay open)",
    )
    log_json: bool = True
    # --- jobs: webhooks, poison jobs, orphaned uploads ---
    webhook_allow_http: bool = Field(
        default=False, description="accept http:// webhook URLs (local tests); otherwise https:// only"
    )
    webhook_max_attempts: int = Field(default=8, ge=1, le=100, description="then the delivery is dead")
    webhook_timeout_s: float = Field(default=10.0, gt=0, le=300, description="per POST")
    webhook_senders: int = Field(default=4, ge=1, le=64, description="POSTs in flight at once, all URLs")
    job_max_lost_runs: int = Field(
        default=3, ge=1, le=100, description="a job whose worker is lost this many times fails: WORKER_LOST"
    )
    orphan_grace_s: float = Field(
        default=900.0, gt=0, description="an upload file untouched this long that no job owns is deleted"
    )
    orphan_sweep_s: float = Field(
        default=300.0, gt=0, description="how often orphaned uploads are looked for"
    )

    # --- inference protocol limits (protocol hardening) ---
    max_inference_streams: int = Field(
        default=32, ge=1, description="ModelStreamInfer streams open at once; more get RESOURCE_EXHAUSTED"
    )
    # Limits one tenant cannot exhaust for all (docs/operations.md, Limits and abuse)
    max_streams: int = Field(
        default=64, ge=2, le=4096, description="uploads and watches open at once, all tenants together"
    )
    max_uploads_per_tenant: int = Field(default=8, ge=1, description="uploads one tenant may have open")
    max_watches_per_tenant: int = Field(default=16, ge=1, description="WatchJob calls one tenant may hold")
    upload_idle_timeout_s: float = Field(
        default=60.0, gt=0, description="an upload with no message for this long ends DEADLINE_EXCEEDED"
    )
    max_text_scorings: int = Field(
        default=32,
        ge=2,
        le=64,
        description="ScoreAnswers calls at once, all tenants (96 threads serve short calls)",
    )
    max_text_scorings_per_tenant: int = Field(default=8, ge=1, description="ScoreAnswers calls of one tenant")
    max_message_bytes: int = Field(
        default=64 * 1024 * 1024, ge=4 * 1024 * 1024, description="one gRPC message, either way"
    )
    max_concurrent_rpcs: int = Field(
        default=512, ge=16, description="calls in flight; beyond it RESOURCE_EXHAUSTED at once"
    )

    @model_validator(mode="after")
    def _one_tenant_leaves_room_for_others(self) -> ServerSettings:
        per_tenant = self.max_uploads_per_tenant + self.max_watches_per_tenant
        if per_tenant >= self.max_streams:
            raise ValueError(
                f"max_uploads_per_tenant + max_watches_per_tenant ({per_tenant}) must stay below max_streams "
                f"({self.max_streams}), or one tenant at its caps blocks every other"
            )
        if self.max_text_scorings_per_tenant >= self.max_text_scorings:
            raise ValueError(
                f"max_text_scorings_per_tenant ({self.max_text_scorings_per_tenant}) must stay below "
                f"max_text_scorings ({self.max_text_scorings}), or one tenant's calls block every other's"
            )
        return self

    @model_validator(mode="after")
    def _https_webhooks(self) -> ServerSettings:
        for index, tenant in enumerate(self.tenants):
            if tenant.webhook_url and tenant.webhook_url.startswith("http:") and not self.webhook_allow_http:
                raise ValueError(
                    f"tenants.{index}.webhook_url: http:// is refused unless server.webhook_allow_http is "
                    "true; use https://"
                )
        return self

    def database(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir.expanduser() / 'hirelens.db'}"


class TextLimits(BaseModel):
    """Bounds on caller text (``ScoreAnswers``, upload questions, ``hirelens score --answers``): text costs
    model time in proportion to its length, so an unbounded question is a denial of service."""

    model_config = ConfigDict(extra="forbid")

    max_questions: int = Field(default=50, ge=1, description="questions or answers in one interview")
    max_question_chars: int = Field(default=2000, ge=1, description="characters in one question")
    max_answer_chars: int = Field(default=20_000, ge=1, description="characters in one answer")
    max_request_bytes: int = Field(
        default=128 * 1024, ge=1, description="UTF-8 bytes of all questions and answers of one request"
    )
    cache_bytes: int = Field(
        default=64 * 1024 * 1024, ge=0, description="memory the embedding cache may hold (texts and vectors)"
    )


class Settings(BaseModel):
    """What an operator may set, from a YAML file or HIRELENS_* environment variables."""

    model_config = ConfigDict(extra="forbid")  # a misspelt key must not silently start with defaults

    model_repo: Path = Field(default=PROJECT_ROOT / "model_repo", description="Triton model repository")
    model_weights: dict[str, str] = Field(
        default_factory=dict,
        description="model name -> local weights path (replaces the weights the pip package ships)",
    )
    frame_rate: float = Field(default=2.0, gt=0, le=30, description="video frames sampled per second")
    max_duration_s: float = Field(default=4 * 3600, gt=0, description="longest recording accepted")
    max_frame_pixels: int = Field(default=7680 * 4320, gt=0, description="largest frame accepted (8K)")
    text_limits: TextLimits = Field(default_factory=TextLimits)
    server: ServerSettings = Field(default_factory=ServerSettings)

    @classmethod
    def load(cls, path: Path | None = None) -> Settings:
        """The settings in ``path`` (if given) over the defaults, then HIRELENS_* variables over both; a
        missing file, bad YAML or a wrong field is an ``InputError`` naming the file and the field."""
        data: dict = {}
        if path is not None:
            try:
                data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            except OSError as exc:
                raise InputError(f"settings file {path}: {exc.strerror or exc}") from None
            except yaml.YAMLError as exc:
                raise InputError(f"settings file {path} is not valid YAML: {exc}") from None
            if not isinstance(data, dict):
                raise InputError(f"settings file {path} must hold a mapping of settings")
        if repo := os.environ.get("HIRELENS_MODEL_REPO"):
            data["model_repo"] = repo
        if weights := os.environ.get("HIRELENS_MODEL_WEIGHTS"):
            pairs = (item.split("=", 1) for item in weights.split(",") if "=" in item)
            data.setdefault("model_weights", {}).update({k.strip(): v.strip() for k, v in pairs})
        if rate := os.environ.get("HIRELENS_FRAME_RATE"):
            data["frame_rate"] = float(rate)
        if url := os.environ.get("HIRELENS_DATABASE_URL"):
            data.setdefault("server", {})["database_url"] = url
        if data_dir := os.environ.get("HIRELENS_DATA_DIR"):
            data.setdefault("server", {})["data_dir"] = data_dir
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            where = f"settings file {path}" if path is not None else "settings"
            problems = "; ".join(
                f"{'.'.join(str(p) for p in error['loc']) or '(top level)'}: {error['msg']}"
                for error in exc.errors()
            )
            raise InputError(f"{where}: {problems}") from None
