#include <gtest/gtest.h>

#include "core/error.hpp"
#include "core/sha256.hpp"

namespace lmmbench {
namespace {

TEST(Sha256, KnownVectors) {
  // FIPS 180-2 test vectors.
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256().update("a").update("bc").hex_digest(), sha256_hex("abc"));
}

TEST(Sha256, MissingFileIsAnInputError) {
  EXPECT_THROW(sha256_file("/nonexistent/file"), InputError);
}

}  // namespace
}  // namespace lmmbench
