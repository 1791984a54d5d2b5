from __future__ import annotations

import json
from pathlib import Path

import pytest

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


@pytest.fixture(scope="session")
def seeds() -> Path:
    return SEEDS


@pytest.fixture(scope="session")
def gold() -> dict[tuple[str, int, str, int], dict]:
    rows = [json.loads(line) for line in (SEEDS / "gold.jsonl").read_text("utf-8").splitlines()]
    return {(g["file_a"], g["para_a"], g["file_b"], g["para_b"]): g for g in rows}


@pytest.fixture(scope="session")
def paragraphs() -> dict[tuple[str, int], dict]:
    rows = [json.loads(line) for line in (SEEDS / "paragraphs.jsonl").read_text("utf-8").splitlines()]
    return {(p["file"], p["index"]): p for p in rows}
