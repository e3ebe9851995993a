"""What a forecast run can carry over from the one before it (`run_forecast(only_changed=True)`,
`sendwh forecast run --only-changed`): the daily run, after one council sent new files.

A borough's forecast is a function of its inputs alone: its history (the rows of
`restricted.forecast_history` up to `today`), its unit costs, the model's settings, the
horizon and scenarios, and the code (every forecast module, the reference lists, the numeric
libraries' versions; each borough's random numbers come from its own seed). Each run records
a digest of each borough's inputs (`forecast.runs.settings -> 'inputs'`). A borough whose
digest is the previous run's, and whose rows in forecast.demand are still that run's, would
be forecast to the very same rows: its rows are kept (given the new run's id) instead.

The all-borough rows ('ALL') sum every borough's simulated paths path by path, so they need
the unchanged boroughs' paths too: each run keeps each borough's banded paths in
`<outputs>/forecast-paths/` (one file per borough and scenario, named by the digest of the
inputs they came from; about 0.4 MB a council at a tenth of its DfE size). A borough whose
file is missing is forecast again. The 'ALL' rows are then summed in the same order from the
same numbers as a full run's, so they are equal too.

The backtest reads only DfE's published files: it is reused while the files, its settings and
the code are those of the backtest in forecast.backtest."""
from __future__ import annotations

import hashlib
import json
import zlib
from collections.abc import Mapping
from importlib.metadata import version
from pathlib import Path

import numpy as np

FORECAST_DIR = Path(__file__).resolve().parent
LIBRARIES = ("numpy", "scipy", "statsmodels", "pandas", "patsy")


def _sha(*parts) -> str:
    return hashlib.sha256(json.dumps(parts, default=str, sort_keys=True).encode()).hexdigest()


def code_digest() -> str:
    """The forecast code and what it reads besides the data: its modules and settings files,
    the reference lists (age bands, need groups) and the numeric libraries' versions."""
    from forecast.model import AGE_BANDS, MAX_AGE, NEED_GROUPS, PLACEMENTS  # noqa: PLC0415

    digest = hashlib.sha256()
    for path in sorted(FORECAST_DIR.glob("*.py")) + sorted(FORECAST_DIR.glob("*.yml")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    digest.update(json.dumps([AGE_BANDS, NEED_GROUPS, PLACEMENTS, MAX_AGE,
                              [version(name) for name in LIBRARIES]], default=str).encode())
    return digest.hexdigest()


def borough_digests(history: Mapping[str, list[tuple]], unit_costs: dict[str, dict[str, float]],
                    settings: dict) -> dict[str, str]:
    """{borough: digest of everything its forecast is made from} (its history's rows in any
    order: the database gives those of one census in no set order, and the model counts them)."""
    code = code_digest()
    return {borough: _sha(code, settings, sorted((unit_costs.get(borough) or {}).items()),
                          hashlib.sha256("\n".join(sorted(map(repr, rows))).encode()).hexdigest())
            for borough, rows in history.items()}


def previous_borough_run(conn) -> tuple[str | None, dict, dict]:
    """(run id, {borough: input digest}, {borough: rates summary}) of the newest borough run."""
    row = conn.execute("select run_id, settings, summary from forecast.runs where kind = 'borough' "
                       "order by finished_at desc, started_at desc limit 1").fetchone()
    if not row:
        return None, {}, {}
    run_id, settings, summary = row
    return run_id, (settings or {}).get("inputs") or {}, summary or {}


def unchanged_boroughs(conn, digests: dict[str, str]) -> tuple[str | None, dict[str, dict]]:
    """(the previous run's id, {borough: its rates summary there}) for each borough whose
    inputs are the previous run's and whose forecast.demand rows are all that run's."""
    run_id, inputs, summary = previous_borough_run(conn)
    same = sorted(b for b, d in digests.items() if inputs.get(b) == d)
    if not run_id or not same:
        return run_id, {}
    kept = conn.execute("select borough from forecast.demand where borough = any(%s) group by borough "
                        "having bool_and(run_id = %s)", (same, run_id)).fetchall()
    return run_id, {b: summary.get(b) for (b,) in kept}


class PathCache:
    """Each borough's banded paths ([h, path, band, need, placement] plans) for one scenario,
    in a file named by its input digest; writing one removes the borough's older files."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def _name(self, borough: str, scenario: str) -> str:
        return f"{borough}.{hashlib.sha256(scenario.encode()).hexdigest()[:12]}"

    def _path(self, borough: str, digest: str, scenario: str) -> Path:
        return self.folder / f"{self._name(borough, scenario)}.{digest}.npz"

    def save(self, borough: str, digest: str, scenario: str, origin: int, banded: np.ndarray) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        dtype = np.int16 if banded.max(initial=0) < np.iinfo(np.int16).max else np.int32
        header = json.dumps({"origin": int(origin), "shape": banded.shape, "dtype": np.dtype(dtype).str})
        target = self._path(borough, digest, scenario)
        for old in self.folder.glob(f"{self._name(borough, scenario)}.*.npz"):
            if old != target:
                old.unlink(missing_ok=True)
        partial = target.with_suffix(".partial")
        partial.write_bytes(header.encode() + b"\n" + zlib.compress(banded.astype(dtype).tobytes(), 1))
        partial.replace(target)

    def origin(self, borough: str, digest: str, scenario: str) -> int | None:
        """The origin of the paths kept for these inputs, None when there is no file."""
        try:
            with self._path(borough, digest, scenario).open("rb") as handle:
                return json.loads(handle.readline())["origin"]
        except FileNotFoundError:
            return None

    def paths(self, digests: dict[str, str], scenario: str, boroughs) -> "KeptPaths":
        return KeptPaths(self, digests, scenario, boroughs)

    def load(self, borough: str, digest: str, scenario: str) -> tuple[int, np.ndarray] | None:
        """(origin, banded paths as int64) or None when there is no file for these inputs."""
        try:
            data = self._path(borough, digest, scenario).read_bytes()
        except FileNotFoundError:
            return None
        header, body = data.split(b"\n", 1)
        meta = json.loads(header)
        banded = np.frombuffer(zlib.decompress(body), dtype=np.dtype(meta["dtype"]))
        return meta["origin"], banded.reshape(meta["shape"]).astype(np.int64)


class KeptPaths(Mapping):
    """{borough: (origin, banded paths)} read from the files one borough at a time, when
    asked (forecast_boroughs' `reuse`): only one borough's paths are in memory at once."""

    def __init__(self, cache: PathCache, digests: dict[str, str], scenario: str, boroughs):
        self.cache, self.digests, self.scenario, self.boroughs = cache, digests, scenario, sorted(boroughs)

    def __getitem__(self, borough: str) -> tuple[int, np.ndarray]:
        if borough not in self.boroughs:
            raise KeyError(borough)
        kept = self.cache.load(borough, self.digests[borough], self.scenario)
        if kept is None:
            raise KeyError(f"{borough}: its kept paths are gone")
        return kept

    def __contains__(self, borough) -> bool:     # without reading the file (Mapping's would)
        return borough in self.boroughs

    def __iter__(self):
        return iter(self.boroughs)

    def __len__(self) -> int:
        return len(self.boroughs)


def dfe_digest(dfe_dir: Path, settings: dict) -> str:
    """The backtest's inputs: every file of DfE's release folders, its settings, the code."""
    digest = hashlib.sha256(_sha(code_digest(), settings).encode())
    for path in sorted(Path(dfe_dir).glob("release-*/*")):
        if path.is_file():
            digest.update(str(path.relative_to(dfe_dir)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def previous_backtest(conn, digest: str) -> dict | None:
    """The newest backtest run's result when it was made from inputs `digest` and its rows are
    what forecast.backtest holds (as run_published_backtest returns it), else None."""
    row = conn.execute("select run_id, settings, summary from forecast.runs where kind = 'backtest' "
                       "order by finished_at desc, started_at desc limit 1").fetchone()
    if not row or (row[1] or {}).get("inputs") != digest:
        return None
    run_id, settings, summary = row
    rows = conn.execute("select run_id, model, horizon_years, councils, origins, forecasts, first_origin_year, "
                        "last_origin_year, wape, bias, coverage_80 from forecast.backtest").fetchall()
    if not rows or any(r[0] != run_id for r in rows):
        return None
    from forecast.backtest import MODELS  # noqa: PLC0415 - the order run_backtest gives

    rows.sort(key=lambda r: (MODELS.index(r[1]) if r[1] in MODELS else len(MODELS), r[1], r[2]))
    metrics = [{"model": m, "horizon": h, "forecasts": n, "councils": c, "origins": o, "first_origin": first,
                "last_origin": last, "wape": float(w), "bias": float(b),
                "coverage_80": None if cov is None else float(cov)}
               for _, m, h, c, o, n, first, last, w, b, cov in rows]
    return {"run_id": run_id, "metrics": metrics, "passed": summary.get("passed"),
            "findings": summary.get("findings") or [], "councils": summary.get("councils"),
            "origins": settings.get("origins"), "reused": True}
