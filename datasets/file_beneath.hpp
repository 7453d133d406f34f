#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace lmmbench::datasets {

/// Reads the whole file `relative` beneath the directory `root` through one descriptor, opened so
/// that nothing outside `root` can be read, whatever changes on disk in the meantime: openat2(2)
/// with RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS (Linux 5.6+), else openat(2) one component at a
/// time with O_NOFOLLOW. No symbolic link is followed below `root` (resolve_inside gives the
/// link-free path of an image whose links stay inside the root). The file is opened
/// non-blocking and checked with fstat(2) before any read, so a named pipe never blocks.
///
/// Throws InputError naming `shown` (the path as the user knows it) with what was found instead
/// of a regular file: not found, a directory, a named pipe (FIFO), a socket, a device, a symbolic
/// link, a path that leaves the root, or a file larger than `max_bytes`.
std::string read_file_beneath(const std::filesystem::path& root,
                              const std::filesystem::path& relative,
                              const std::filesystem::path& shown,
                              std::uint64_t max_bytes = 0x7fffffff);

/// Tests only: false makes read_file_beneath walk the path with openat, as it does where the
/// kernel has no openat2; true (the default) restores it.
void set_openat2_enabled(bool enabled);

/// Image files opened since the process started (read_file_beneath and read_image_bytes), so tests
/// can count how often an image is read.
std::uint64_t image_file_opens();
/// Counts one open; for the readers of image files.
void count_image_file_open();

}  // namespace lmmbench::datasets
