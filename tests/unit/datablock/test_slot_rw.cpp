// The slot protocol alone, on plain memory: no segment, no DataBlock.
#include <chrono>
#include <cstring>

#include <gtest/gtest.h>

#include "child_process.hpp"
#include "pylabhub/datablock/slot_rw.h"
#include "pylabhub/platform/process.hpp"

namespace {

using namespace std::chrono_literals;

constexpr uint64_t kMs = 1'000'000;

class SlotRw : public ::testing::Test {
protected:
    plh_slot_rw_state slot{};
    plh_slot_metrics metrics{};
    uint64_t me = plh_slot_owner_word();
};

TEST_F(SlotRw, WriteCommitReadValidate) {
    ASSERT_EQ(plh_slot_rw_acquire_write(&slot, me, kMs, 1, &metrics), PLH_SLOT_OK);
    EXPECT_EQ(slot.state, PLH_SLOT_WRITING);
    EXPECT_EQ(slot.generation % 2, 1U) << "odd while written";
    ASSERT_EQ(plh_slot_rw_commit(&slot, me, 7, 100, 12345, &metrics), PLH_SLOT_OK);
    EXPECT_EQ(slot.state, PLH_SLOT_COMMITTED);
    EXPECT_EQ(slot.generation % 2, 0U);
    EXPECT_EQ(slot.write_lock, 0U);
    EXPECT_EQ(slot.payload_bytes, 100U);
    EXPECT_EQ(slot.commit_ns, 12345U);

    uint64_t generation = 0;
    ASSERT_EQ(plh_slot_rw_acquire_read(&slot, 7, &generation, &metrics), PLH_SLOT_OK);
    EXPECT_EQ(slot.reader_count, 1U);
    EXPECT_EQ(plh_slot_rw_validate_read(&slot, generation, &metrics), 1);
    ASSERT_EQ(plh_slot_rw_release_read(&slot, &metrics), PLH_SLOT_OK);
    EXPECT_EQ(slot.reader_count, 0U);
    EXPECT_EQ(metrics.writes_committed, 1U);
    EXPECT_EQ(metrics.reads_ok, 1U);
    EXPECT_EQ(metrics.reads_torn, 0U);
}

TEST_F(SlotRw, ReadersGetOnlyTheCommittedSequenceTheyAskFor) {
    uint64_t generation = 0;
    EXPECT_EQ(plh_slot_rw_acquire_read(&slot, 0, &generation, &metrics), PLH_SLOT_NOT_READY) << "never written";
    ASSERT_EQ(plh_slot_rw_acquire_write(&slot, me, kMs, 1, &metrics), PLH_SLOT_OK);
    EXPECT_EQ(plh_slot_rw_acquire_read(&slot, 0, &generation, &metrics), PLH_SLOT_NOT_READY) << "being written";
    ASSERT_EQ(plh_slot_rw_commit(&slot, me, 5, 8, 1, &metrics), PLH_SLOT_OK);
    EXPECT_EQ(plh_slot_rw_acquire_read(&slot, 6, &generation, &metrics), PLH_SLOT_NOT_READY) << "not yet";
    EXPECT_EQ(plh_slot_rw_acquire_read(&slot, 4, &generation, &metrics), PLH_SLOT_OVERRUN) << "already replaced";
    EXPECT_EQ(slot.reader_count, 0U) << "failed attempts leave no reader behind";
    EXPECT_EQ(metrics.reads_not_ready, 4U);
}

TEST_F(SlotRw, WriterWaitsForReadersToDrainAndTimesOutLeavingTheSlotIntact) {
    ASSERT_EQ(plh_slot_rw_acquire_write(&slot, me, kMs, 1, &metrics), PLH_SLOT_OK);
    ASSERT_EQ(plh_slot_rw_commit(&slot, me, 1, 8, 1, &metrics), PLH_SLOT_OK);
    uint64_t generation = 0;
    ASSERT_EQ(plh_slot_rw_acquire_read(&slot, 1, &generation, &metrics), PLH_SLOT_OK);

    EXPECT_EQ(plh_slot_rw_acquire_write(&slot, me, 2 * kMs, 1, &metrics), PLH_SLOT_TIMEOUT);
    EXPECT_EQ(metrics.writer_drain_timeouts, 1U);
    EXPECT_EQ(slot.state, PLH_SLOT_COMMITTED) << "content still published";
    EXPECT_EQ(slot.write_lock, 0U);
    EXPECT_EQ(slot.sequence, 1U);
    ASSERT_EQ(plh_slot_rw_release_read(&slot, &metrics), PLH_SLOT_OK);
    EXPECT_EQ(plh_slot_rw_acquire_write(&slot, me, kMs, 1, &metrics), PLH_SLOT_OK) << "free once drained";
}

TEST_F(SlotRw, WriterThatDoesNotWaitInvalidatesTheReaderInside) {
    ASSERT_EQ(plh_slot_rw_acquire_write(&slot, me, kMs, 0, &metrics), PLH_SLOT_OK);
    ASSERT_EQ(plh_slot_rw_commit(&slot, me, 1, 8, 1, &metrics), PLH_SLOT_OK);
    uint64_t generation = 0;
    ASSERT_EQ(plh_slot_rw_acquire_read(&slot, 1, &generation, &metrics), PLH_SLOT_OK);

    ASSERT_EQ(plh_slot_rw_acquire_write(&slot, me, kMs, 0, &metrics), PLH_SLOT_OK) << "latest_only: no waiting";
    EXPECT_EQ(plh_slot_rw_validate_read(&slot, generation, &metrics), 0) << "mid-write";
    ASSERT_EQ(plh_slot_rw_commit(&slot, me, 2, 8, 2, &metrics), PLH_SLOT_OK);
    EXPECT_EQ(plh_slot_rw_validate_read(&slot, generation, &metrics), 0) << "rewritten";
    EXPECT_EQ(metrics.reads_torn, 2U);
    EXPECT_EQ(plh_slot_rw_release_read(&slot, &metrics), PLH_SLOT_OK);
}

TEST_F(SlotRw, AbandonedWriteLeavesAFreeSlot) {
    ASSERT_EQ(plh_slot_rw_acquire_write(&slot, me, kMs, 1, &metrics), PLH_SLOT_OK);
    ASSERT_EQ(plh_slot_rw_release_write(&slot, me, &metrics), PLH_SLOT_OK);
    EXPECT_EQ(slot.state, PLH_SLOT_FREE);
    EXPECT_EQ(slot.write_lock, 0U);
    EXPECT_EQ(slot.generation % 2, 0U);
    EXPECT_EQ(metrics.writes_abandoned, 1U);
}

TEST_F(SlotRw, OutOfOrderCallsAreRefusedNotUndefined) {
    EXPECT_EQ(plh_slot_rw_commit(&slot, me, 1, 8, 1, &metrics), PLH_SLOT_INVALID_STATE) << "commit without acquire";
    EXPECT_EQ(plh_slot_rw_release_write(&slot, me, &metrics), PLH_SLOT_INVALID_STATE);
    EXPECT_EQ(plh_slot_rw_release_read(&slot, &metrics), PLH_SLOT_INVALID_STATE) << "no reader to release";
    EXPECT_EQ(slot.reader_count, 0U);
    ASSERT_EQ(plh_slot_rw_acquire_write(&slot, me, kMs, 1, &metrics), PLH_SLOT_OK);
    EXPECT_EQ(plh_slot_rw_acquire_write(&slot, me, kMs, 1, &metrics), PLH_SLOT_INVALID_STATE) << "twice";
    EXPECT_EQ(plh_slot_rw_commit(&slot, me + 1, 1, 8, 1, &metrics), PLH_SLOT_INVALID_STATE) << "not the owner";
    EXPECT_EQ(plh_slot_rw_acquire_write(nullptr, me, kMs, 1, &metrics), PLH_SLOT_ERROR);
    EXPECT_EQ(plh_slot_rw_acquire_write(&slot, 0, kMs, 1, &metrics), PLH_SLOT_ERROR) << "0 is nobody";
    uint64_t generation = 0;
    EXPECT_EQ(plh_slot_rw_acquire_read(&slot, 0, nullptr, &metrics), PLH_SLOT_ERROR);
    EXPECT_EQ(plh_slot_rw_acquire_read(nullptr, 0, &generation, nullptr), PLH_SLOT_ERROR);
}

TEST_F(SlotRw, LockOfALiveWriterIsNotTakenButADeadWritersIs) {
    auto child = pylabhub::test::ChildProcess::spawn_worker({"idle"});
    ASSERT_EQ(child.read_line(5s), "idle");
    const auto pid = static_cast<pylabhub::platform::ProcessId>(child.pid());
    const uint64_t other = pylabhub::platform::owner_word({pid, pylabhub::platform::process_start_time(pid).value()});

    ASSERT_EQ(plh_slot_rw_acquire_write(&slot, other, kMs, 1, nullptr), PLH_SLOT_OK);
    EXPECT_EQ(plh_slot_rw_acquire_write(&slot, me, 5 * kMs, 1, &metrics), PLH_SLOT_LOCKED);
    EXPECT_EQ(metrics.writer_lock_timeouts, 1U);

    child.kill_and_reap();
    ASSERT_EQ(plh_slot_rw_acquire_write(&slot, me, 1000 * kMs, 1, &metrics), PLH_SLOT_OK);
    EXPECT_EQ(metrics.locks_reclaimed, 1U);
    EXPECT_EQ(slot.generation % 2, 1U) << "still marked as being written";
    ASSERT_EQ(plh_slot_rw_commit(&slot, me, 3, 8, 1, &metrics), PLH_SLOT_OK);
}

TEST(SlotRwStrings, EveryResultHasAName) {
    for (int r = PLH_SLOT_OK; r <= PLH_SLOT_ERROR; ++r) {
        EXPECT_STRNE(plh_slot_result_string(static_cast<plh_slot_result>(r)), "unknown result");
    }
}

}  // namespace
