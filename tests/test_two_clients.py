"""Two laptops' commands through the virtual anklet's served radio at once (two terminals, one `--via sim`)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from anklet_host.ble.client import Radio, find_anklet
from anklet_host.cli.commands.sync import sync_device
from anklet_host.store.db import Store
from tests.ble_helpers import T0_MIN, ServedAnklet
from tests.conftest import off_main_thread


async def _sync_into(via: str, db: Path) -> int:
    with Store(db) as store:
        async with Radio.open(via) as radio:
            device = await find_anklet(radio, None, 5.0)
            return (await sync_device(radio, store, device)).stored


async def _two_syncs(via: str, folder: Path) -> list[int]:
    return list(await asyncio.gather(*(_sync_into(via, folder / f"laptop-{n}.sqlite3") for n in (1, 2))))


def test_two_syncs_at_once_through_one_served_radio_both_finish(tmp_path: Path) -> None:
    """Two syncs through the virtual anklet's served radio at once (two terminals), both seeing the same
    advertisement: the second connection request waits for the next one, as on air, instead of timing out in the
    MTU exchange; between them they store every record, each as the anklet made it."""
    with ServedAnklet(tmp_path / "log", records=40) as anklet:
        stored = off_main_thread(asyncio.run, _two_syncs(anklet.via, tmp_path), timeout_s=60)
    seqs: set[int] = set()
    for n, count in enumerate(stored, start=1):
        with Store(tmp_path / f"laptop-{n}.sqlite3", create=False) as store:
            rows = store.query("SELECT seq, t_min, cadence_spm FROM minutes")
        assert len(rows) == count
        assert all((r["t_min"], r["cadence_spm"]) == (T0_MIN + r["seq"] - 1, 90 + (r["seq"] - 1) % 40) for r in rows)
        seqs |= {int(r["seq"]) for r in rows}
    assert seqs == set(range(1, 41))
