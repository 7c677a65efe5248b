"""The one group-commit loop: batches, a result per item, a failed batch retried item by item."""

from __future__ import annotations

import asyncio

import pytest

from contact_center.ingest.group_commit import GroupCommit


class Store:
    """An in-memory batch writer that refuses any batch containing a negative number."""

    def __init__(self) -> None:
        self.batches: list[list[int]] = []
        self.rows: list[int] = []

    async def write(self, items: list[int]) -> list[int]:
        await asyncio.sleep(0)
        self.batches.append(list(items))
        if any(i < 0 for i in items):
            raise ValueError("negative")
        self.rows += items
        return [i * 10 for i in items]


async def test_concurrent_items_share_a_batch_and_each_gets_its_result() -> None:
    """Items submitted together are written in one batch, in order, and each submitter gets its own result."""
    store = Store()
    commit: GroupCommit[int, int] = GroupCommit(store.write, name="t")
    commit.start()
    results = await asyncio.gather(*(commit.submit(i) for i in range(1, 6)))
    await commit.close()
    assert results == [10, 20, 30, 40, 50]
    assert store.batches == [[1, 2, 3, 4, 5]]


async def test_a_failed_batch_is_retried_item_by_item_so_a_bad_item_fails_alone() -> None:
    """One bad item fails alone; the others in its batch are stored once."""
    store = Store()
    commit: GroupCommit[int, int] = GroupCommit(store.write, name="t")
    commit.start()
    outcomes = await asyncio.gather(*(commit.submit(i) for i in (1, -2, 3)), return_exceptions=True)
    await commit.close()
    assert outcomes[0] == 10
    assert outcomes[2] == 30
    assert isinstance(outcomes[1], ValueError)
    assert store.rows == [1, 3]
    assert store.batches == [[1, -2, 3], [1], [-2], [3]]


@pytest.mark.parametrize("max_batch", [1, 2, 7])
async def test_batches_never_exceed_max_batch(max_batch: int) -> None:
    """No batch is larger than max_batch, and every item is written exactly once."""
    store = Store()
    commit: GroupCommit[int, int] = GroupCommit(store.write, name="t", max_batch=max_batch)
    commit.start()
    await asyncio.gather(*(commit.submit(i) for i in range(1, 21)))
    await commit.close()
    assert max(len(b) for b in store.batches) <= max_batch
    assert sorted(store.rows) == list(range(1, 21))


async def test_close_writes_what_is_queued_and_flush_waits_for_it() -> None:
    """Fire-and-forget items queued before close are written; flush waits until they are."""
    store = Store()
    commit: GroupCommit[int, int] = GroupCommit(store.write, name="t", window=4)
    commit.start()
    for i in range(1, 4):
        commit.submit_nowait(i)
    await commit.flush()
    assert store.rows == [1, 2, 3]
    commit.submit_nowait(4)
    await commit.close()
    assert store.rows == [1, 2, 3, 4]
