"""The collector paused while a batch of records is built (engage.lib.memory)."""

import gc
import weakref

import pytest

from engage.lib.memory import collection_paused


def test_it_pauses_the_collector_for_the_batch_and_resumes_it_after():
    assert gc.isenabled()
    with collection_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_it_resumes_the_collector_when_the_batch_fails():
    with pytest.raises(ValueError), collection_paused():
        raise ValueError("a query failed")
    assert gc.isenabled()


def test_it_leaves_the_collector_to_the_outermost_pause():
    with collection_paused():
        with collection_paused():
            pass
        assert not gc.isenabled()  # the inner pause does not resume it
    assert gc.isenabled()


def test_it_leaves_a_collector_someone_else_stopped_stopped():
    gc.disable()
    try:
        with collection_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_it_leaves_the_cycles_of_a_batch_to_the_next_collection():
    class Record:
        itself: "Record"

    with collection_paused():
        record = Record()
        record.itself = record  # a cycle, like a prefetched record and its case
        left = weakref.ref(record)
        del record
        assert left() is not None  # reference counting alone cannot free a cycle
    gc.collect()
    assert left() is None
