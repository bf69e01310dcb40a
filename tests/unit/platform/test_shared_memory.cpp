#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child_process.hpp"
#include "pylabhub/platform/shared_memory.hpp"
#include "shm_names.hpp"
#include "shm_pattern.hpp"

namespace pylabhub::platform {
namespace {

using namespace std::chrono_literals;
using test::ChildProcess;
using test::ShmNameGuard;
using ::testing::HasSubstr;

mode_t file_mode(const std::string& name) {
    struct stat info {};
    if (::stat(("/dev/shm" + name).c_str(), &info) != 0) return 0;
    return info.st_mode & 0777;
}

TEST(SharedMemory, CreateGivesZeroedMemoryOfTheRequestedSize) {
    ShmNameGuard name("zeroed");
    auto shm = SharedMemory::create(name.name(), 8192);
    ASSERT_TRUE(shm.has_value()) << shm.error().message;
    EXPECT_EQ(shm->size(), 8192U);
    EXPECT_EQ(shm->name(), name.name());
    for (std::size_t i = 0; i < shm->size(); ++i) ASSERT_EQ(shm->data()[i], std::byte{0}) << "byte " << i;
}

TEST(SharedMemory, DefaultPermissionIsOwnerOnly) {
    ShmNameGuard name("mode");
    auto shm = SharedMemory::create(name.name(), 4096);
    ASSERT_TRUE(shm.has_value()) << shm.error().message;
    EXPECT_EQ(file_mode(name.name()), 0600U);
}

TEST(SharedMemory, RequestedPermissionIsAppliedDespiteUmask) {
    ShmNameGuard name("mode640");
    const mode_t old_mask = ::umask(077);
    auto shm = SharedMemory::create(name.name(), 4096, {.mode = 0640});
    ::umask(old_mask);
    ASSERT_TRUE(shm.has_value()) << shm.error().message;
    EXPECT_EQ(file_mode(name.name()), 0640U);
}

TEST(SharedMemory, AttachSeesTheCreatorsBytesInTheSameProcess) {
    ShmNameGuard name("attach");
    auto created = SharedMemory::create(name.name(), 4096);
    ASSERT_TRUE(created.has_value());
    std::memcpy(created->data(), "hello", 6);
    auto attached = SharedMemory::attach(name.name());
    ASSERT_TRUE(attached.has_value()) << attached.error().message;
    EXPECT_EQ(attached->size(), 4096U);
    EXPECT_STREQ(reinterpret_cast<const char*>(attached->data()), "hello");
    EXPECT_NE(attached->data(), created->data()) << "a second, independent mapping";
}

TEST(SharedMemory, AnotherProcessReadsWhatWeWroteAndWritesBack) {
    ShmNameGuard name("xproc");
    auto shm = SharedMemory::create(name.name(), 1 << 20);
    ASSERT_TRUE(shm.has_value()) << shm.error().message;
    test::fill_pattern(shm->data(), shm->size());

    auto child = ChildProcess::spawn_worker({"verify-pattern", name.name()});
    EXPECT_EQ(child.read_line(10s), "verified " + std::to_string(1 << 20));
    EXPECT_EQ(child.wait(10s), 0);
    EXPECT_EQ(shm->data()[0], test::kSeenMarker) << "the child's write is visible here";

    ASSERT_TRUE(SharedMemory::unlink(name.name()).has_value());
    EXPECT_FALSE(SharedMemory::attach(name.name()).has_value()) << "unlinked names cannot be attached";
}

TEST(SharedMemory, CreateRefusesAnExistingNameUnlessAskedToReplace) {
    ShmNameGuard name("exists");
    auto first = SharedMemory::create(name.name(), 4096);
    ASSERT_TRUE(first.has_value());
    first->data()[0] = std::byte{42};

    auto second = SharedMemory::create(name.name(), 4096);
    ASSERT_FALSE(second.has_value());
    EXPECT_EQ(second.error().code, ErrorCode::already_exists);
    EXPECT_THAT(second.error().message, HasSubstr(name.name()));

    auto replaced = SharedMemory::create(name.name(), 4096, {.replace_existing = true});
    ASSERT_TRUE(replaced.has_value()) << replaced.error().message;
    EXPECT_EQ(replaced->data()[0], std::byte{0}) << "a new segment, not the old one";
    EXPECT_EQ(first->data()[0], std::byte{42}) << "the old mapping stays valid";
}

TEST(SharedMemory, AttachingAMissingSegmentNamesItAndTheCause) {
    const std::string name = test::unique_shm_name("missing");
    auto shm = SharedMemory::attach(name);
    ASSERT_FALSE(shm.has_value());
    EXPECT_EQ(shm.error().code, ErrorCode::not_found);
    EXPECT_THAT(shm.error().message, HasSubstr(name));
    EXPECT_THAT(shm.error().message, HasSubstr("No such file"));
}

TEST(SharedMemory, UnlinkOfAMissingSegmentIsNotFound) {
    auto result = SharedMemory::unlink(test::unique_shm_name("never"));
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().code, ErrorCode::not_found);
}

TEST(SharedMemory, InvalidNamesAreRefusedWithTheReason) {
    struct Case {
        std::string name;
        std::string says;
    };
    const Case cases[] = {
        {"", "empty"},
        {"/", "empty"},
        {"/a/b", "contains '/'"},
        {"with space", "contains ' '"},
        {"..", "reserved"},
        {"/" + std::string(256, 'x'), "the limit is 255"},
    };
    for (const auto& c : cases) {
        auto shm = SharedMemory::create(c.name, 4096);
        ASSERT_FALSE(shm.has_value()) << "'" << c.name << "'";
        EXPECT_EQ(shm.error().code, ErrorCode::invalid_argument);
        EXPECT_THAT(shm.error().message, HasSubstr(c.says));
        EXPECT_FALSE(SharedMemory::attach(c.name).has_value());
    }
    EXPECT_TRUE(SharedMemory::normalize_name(std::string(255, 'x')).has_value()) << "255 is allowed";
    EXPECT_EQ(SharedMemory::normalize_name("plh.a-b_c").value(), "/plh.a-b_c");
}

// Run by tests/integration/small_dev_shm.sh inside a mount namespace whose
// /dev/shm is a 64 MiB tmpfs; skipped elsewhere (on the real /dev/shm the
// reservation would take half the machine's memory before failing).
TEST(SharedMemory, CreationFailsAtOnceWhenDevShmCannotHoldTheSegment) {
    if (std::getenv("PLH_TEST_SMALL_DEV_SHM") == nullptr) GTEST_SKIP() << "needs tests/integration/small_dev_shm.sh";
    ShmNameGuard name("toobig");
    auto created = SharedMemory::create(name.name(), std::size_t{100} << 20);
    ASSERT_FALSE(created.has_value()) << "a segment larger than /dev/shm must fail when created, not with SIGBUS on use";
    EXPECT_THAT(created.error().message, HasSubstr("/dev/shm is full"));
    EXPECT_EQ(file_mode(name.name()), 0U) << "nothing was left behind";
}

TEST(SharedMemory, AWorldWritableSegmentIsNeverCreatedNorAttached) {
    ShmNameGuard name("worldwritable");
    auto refused = SharedMemory::create(name.name(), 4096, {.mode = 0666});
    ASSERT_FALSE(refused.has_value());
    EXPECT_THAT(refused.error().message, HasSubstr("writable by every user is refused"));
    EXPECT_EQ(file_mode(name.name()), 0U);

    auto created = SharedMemory::create(name.name(), 4096);
    ASSERT_TRUE(created.has_value());
    ASSERT_EQ(::chmod(("/dev/shm" + name.name()).c_str(), 0666), 0);  // as another user's leftover might be
    auto attached = SharedMemory::attach(name.name());
    ASSERT_FALSE(attached.has_value());
    EXPECT_EQ(attached.error().code, ErrorCode::permission_denied);
    EXPECT_THAT(attached.error().message, HasSubstr("writable by every user (mode 0666"));
}

TEST(SharedMemory, ASymlinkInDevShmIsNotFollowed) {
    ShmNameGuard name("symlink");
    const std::string target = "/tmp/plh-symlink-target-" + std::to_string(::getpid());
    {
        std::FILE* file = std::fopen(target.c_str(), "w");
        ASSERT_NE(file, nullptr);
        std::fputs("not yours", file);
        std::fclose(file);
    }
    ASSERT_EQ(::symlink(target.c_str(), ("/dev/shm" + name.name()).c_str()), 0);
    auto attached = SharedMemory::attach(name.name());
    ::unlink(target.c_str());
    ASSERT_FALSE(attached.has_value()) << "followed a symlink to " << target;
    EXPECT_THAT(attached.error().message, HasSubstr(name.name()));
}

TEST(SharedMemory, ZeroSizeAndBadModeAreRefused) {
    ShmNameGuard name("zero");
    auto empty = SharedMemory::create(name.name(), 0);
    ASSERT_FALSE(empty.has_value());
    EXPECT_THAT(empty.error().message, HasSubstr("size must be greater than 0"));
    auto bad_mode = SharedMemory::create(name.name(), 4096, {.mode = 04755});
    ASSERT_FALSE(bad_mode.has_value());
    EXPECT_THAT(bad_mode.error().message, HasSubstr("0777"));
    EXPECT_EQ(file_mode(name.name()), 0U) << "nothing was created";
}

TEST(SharedMemory, PermissionDeniedNamesTheSegment) {
    ShmNameGuard name("denied");
    auto shm = SharedMemory::create(name.name(), 4096, {.mode = 0600});
    ASSERT_TRUE(shm.has_value());
    if (::geteuid() != 0) {
        ASSERT_EQ(::chmod(("/dev/shm" + name.name()).c_str(), 0), 0);
        auto denied = SharedMemory::attach(name.name());
        ASSERT_FALSE(denied.has_value());
        EXPECT_EQ(denied.error().code, ErrorCode::permission_denied);
        EXPECT_THAT(denied.error().message, HasSubstr(name.name()));
        return;
    }
    // root ignores permission bits: ask as an unprivileged user instead.
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        if (::setgid(65534) != 0 || ::setuid(65534) != 0) ::_exit(10);
        auto denied = SharedMemory::attach(name.name());
        if (denied.has_value()) ::_exit(11);
        if (denied.error().code != ErrorCode::permission_denied) ::_exit(12);
        if (denied.error().message.find(name.name()) == std::string::npos) ::_exit(13);
        ::_exit(0);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0) << "10: cannot drop privileges, 11: attach succeeded, "
                                         "12: wrong error code, 13: message lacks the name";
}

TEST(SharedMemory, ReadOnlyAttachMapsReadOnly) {
    ShmNameGuard name("ro");
    auto shm = SharedMemory::create(name.name(), 4096);
    ASSERT_TRUE(shm.has_value());
    shm->data()[7] = std::byte{7};
    auto reader = SharedMemory::attach(name.name(), ShmAccess::read_only);
    ASSERT_TRUE(reader.has_value()) << reader.error().message;
    EXPECT_EQ(reader->access(), ShmAccess::read_only);
    EXPECT_EQ(reader->data()[7], std::byte{7});
}

TEST(SharedMemory, CloseIsIdempotentAndMoveTransfersOwnership) {
    ShmNameGuard name("move");
    auto shm = SharedMemory::create(name.name(), 4096);
    ASSERT_TRUE(shm.has_value());
    SharedMemory moved = std::move(shm).value();
    EXPECT_TRUE(moved.is_open());
    moved.close();
    moved.close();
    EXPECT_FALSE(moved.is_open());
    EXPECT_EQ(moved.data(), nullptr);
    EXPECT_TRUE(SharedMemory::attach(name.name()).has_value()) << "close does not unlink";
}

TEST(SharedMemory, ListFindsSegmentsByPrefix) {
    ShmNameGuard a("list.a");
    ShmNameGuard b("list.b");
    auto sa = SharedMemory::create(a.name(), 4096);
    auto sb = SharedMemory::create(b.name(), 4096);
    ASSERT_TRUE(sa.has_value() && sb.has_value());
    auto listed = SharedMemory::list(test::kTestShmPrefix);
    ASSERT_TRUE(listed.has_value()) << listed.error().message;
    EXPECT_THAT(*listed, ::testing::IsSupersetOf({a.name(), b.name()}));
    auto none = SharedMemory::list("plh.no-such-prefix.");
    ASSERT_TRUE(none.has_value());
    EXPECT_TRUE(none->empty());
}

}  // namespace
}  // namespace pylabhub::platform
