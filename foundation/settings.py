"""Settings, read once from the environment (and a git-ignored `.env` file).

Everything that differs per machine lives here; everything that differs per borough
lives in YAML under `extract/layouts/`.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[1]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=PROJECT_ROOT / ".env", extra="ignore")

    # A PostgreSQL URL. Unset: the embedded pgserver warehouse under `embedded_dir`, as the
    # pipeline's login role (`<role_prefix>pipeline`, a member of `<role_prefix>engineer`).
    warehouse_url: str | None = Field(default=None, alias="WAREHOUSE_URL")
    # A PostgreSQL URL of an account that may create roles (a superuser or CREATEROLE), used
    # only by `sendwh db setup` to create the warehouse's roles and hand its schemas to the
    # engineer role. Unset: the embedded server's superuser, else WAREHOUSE_URL itself.
    admin_url: str | None = Field(default=None, alias="SENDWH_ADMIN_URL")
    # The password of the pipeline's login role (<role_prefix>pipeline, a member of the engineer
    # role) that `sendwh db setup` gives it on a server with passwords (docker-compose). Unset:
    # the login is made only for the embedded server, which trusts its socket.
    pipeline_password: str | None = Field(default=None, alias="SENDWH_PIPELINE_PASSWORD")
    # The warehouse's database roles are named <role_prefix>engineer, <role_prefix>analyst_hf, ...
    role_prefix: str = Field(default="sendwh_", alias="SENDWH_ROLE_PREFIX", pattern=r"^[a-z_][a-z0-9_]*$")
    # Small-number suppression in what leaves the warehouse for people outside the SEND team
    # (exports, the board report): counts from 1 to threshold - 1 are shown as DfE's `c`.
    suppression_threshold: int = Field(default=5, ge=1, alias="SENDWH_SUPPRESSION_THRESHOLD")
    embedded_dir: Path = Field(default=PROJECT_ROOT / ".warehouse" / "pg", alias="SENDWH_EMBEDDED_DIR")
    outputs_dir: Path = Field(default=PROJECT_ROOT / "outputs", alias="SENDWH_OUTPUTS_DIR")
    # Where rejected files are copied, with a reason file beside each.
    quarantine_dir: Path | None = Field(default=None, alias="SENDWH_QUARANTINE_DIR")
    # Extra borough definitions (e.g. the synthetic boroughs of `sendwh sample --scale 10`).
    extra_boroughs_file: Path | None = Field(default=None, alias="SENDWH_BOROUGHS_FILE")
    # DfE's published EHC plan statistics (release-YYYY folders). The default is the shared
    # copy beside the checkout; a user may name any folder with the same layout.
    dfe_dir: Path | None = Field(default=PROJECT_ROOT.parent / "shared" / "data" / "dfe-ehcp",
                                 alias="SENDWH_DFE_DIR")

    # The secret behind pseudonymous person keys and every other key analysts see (HMAC-SHA256).
    # It is never stored in the warehouse: dbt's sessions get it at connection time (a session
    # setting, see sendwh/dbt_runner.py). The default is for sample data only: set your own in
    # .env or the environment for real data.
    pseudonym_key: str = Field(default="sample-data-only-not-secret", alias="SENDWH_PSEUDONYM_KEY")
    # SEN2 return header: the data manager, data controller and (from 2025) data sharing
    # confirmations, Y, N or R (recruiting).
    sen2_dmo: str = Field(default="Y", alias="SENDWH_SEN2_DMO")
    sen2_dco: str = Field(default="Y", alias="SENDWH_SEN2_DCO")
    sen2_dsco: str = Field(default="Y", alias="SENDWH_SEN2_DSCO")
    # Sex 'U' in a 2024+ SEN2 return: the evidence conflicts (the 2024-2026 third-party XSDs
    # list M and F only; an older 2024 XSD and our spec have U). query: accept it with query
    # SEN2-R036 (default); accept: no finding; reject: an error (SEN2-R021).
    sen2_sex_u: Literal["query", "accept", "reject"] = Field(default="query", alias="SENDWH_SEN2_SEX_U")
    # Third-party SEN2 XSDs and mock returns (the interoperability corpus, read in place by
    # tests/test_sen2_interop.py). The default is the shared copy beside the checkout.
    sen2_external_dir: Path = Field(default=PROJECT_ROOT.parent / "shared" / "data" / "sen2-external",
                                    alias="SENDWH_SEN2_EXTERNAL_DIR")
    # What an XLSX workbook may inflate to, in all and per part (sheet, shared strings),
    # before it is refused as a zip bomb; it is counted while inflating, in bounded memory.
    xlsx_max_inflated_mb: int = Field(default=256, alias="SENDWH_XLSX_MAX_INFLATED_MB")
    xlsx_max_part_mb: int = Field(default=128, alias="SENDWH_XLSX_MAX_PART_MB")
    # A delimited file this big or bigger is COPYed as it is into a landing table and checked
    # in SQL (extract/landing.py); a smaller one is read row by row, which is quicker for a
    # small file than the landing table's own set-up (about 15 ms a file). 0: every file.
    landing_min_bytes: int = Field(default=128 * 1024, ge=0, alias="SENDWH_LANDING_MIN_BYTES")
    # The folder the scheduled `send_warehouse` run reads (one sub-folder per borough: case/,
    # sen2/, ledger/); a run triggered by hand may name another. The default is the sample.
    inbox_dir: Path = Field(default=PROJECT_ROOT / "outputs" / "sample", alias="SENDWH_INBOX_DIR")
    # When `send_warehouse` runs on its own (cron, Airflow's timezone); "" = only when triggered.
    # Weekdays at 06:00: the boroughs' overnight extracts are in by then.
    schedule: str = Field(default="0 6 * * 1-5", alias="SENDWH_SCHEDULE")
    # "Today" for the open-cases worklist ('' = the database's current date).
    today: str = Field(default="", alias="SENDWH_TODAY")

    @property
    def quarantine(self) -> Path:
        return self.quarantine_dir or (self.outputs_dir / "quarantine")


@lru_cache
def get_settings() -> Settings:
    return Settings()
