// The default build's driver of a fuzz target (no libFuzzer there: the default compiler is g++):
// runs LLVMFuzzerTestOneInput on every file of the seed corpus, then on seeded mutations of
// them (byte flips, inserted JSON and text tokens, deletions, duplications, splices), so that
// every `ctest` run checks each parser against a few thousand inputs in well under a second.
// Usage: fuzz_smoke_<target> SEED_DIR [MUTATIONS]. A finding aborts, as under libFuzzer.

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

/// SplitMix64: a fixed sequence on every platform, so a smoke failure reproduces.
struct Random {
  std::uint64_t state;
  std::uint64_t next() {
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  std::size_t below(std::size_t n) { return n == 0 ? 0 : static_cast<std::size_t>(next() % n); }
};

constexpr std::string_view kTokens[] = {
    "{",       "}",
    "[",       "]",
    "\"",      ":",
    ",",       "\\",
    "\\u0000", "\\ud800",
    "null",    "true",
    "1e400",   "-0",
    "1e-400",  "18446744073709551616",
    "\n",      "\r\n",
    "\t",      "data: ",
    "event: ", "id: ",
    "[DONE]",  "# TYPE ",
    "# HELP ", "{a=\"",
    "\"}",     " NaN",
    "+Inf",    "\xEF\xBB\xBF",
    "\xFF",    "\xC3\xA9",
    "//",      "/*",
    "*/",      "\"id\"",
    "\"\"",
};

std::string mutate(const std::vector<std::string>& seeds, Random& random) {
  std::string s = seeds[random.below(seeds.size())];
  const std::size_t steps = 1 + random.below(4);
  for (std::size_t k = 0; k < steps; ++k) {
    const std::size_t at = random.below(s.size() + 1);
    switch (random.below(6)) {
      case 0:  // flip a byte
        if (!s.empty()) s[random.below(s.size())] ^= static_cast<char>(1u << random.below(8));
        break;
      case 1:  // insert a token
        s.insert(at, kTokens[random.below(std::size(kTokens))]);
        break;
      case 2:  // delete a range
        s.erase(at, random.below(16));
        break;
      case 3: {  // duplicate a range (repeats nesting, lines, records)
        const std::string piece = s.substr(at, random.below(64));
        for (std::size_t r = random.below(8); r > 0; --r)
          s.insert(at, piece);
        break;
      }
      case 4: {  // splice in part of another seed
        const std::string& other = seeds[random.below(seeds.size())];
        const std::size_t from = random.below(other.size() + 1);
        s.insert(at, other.substr(from, random.below(128)));
        break;
      }
      default:  // truncate
        s.resize(at);
        break;
    }
  }
  return s;
}

void run(const std::string& input) {
  LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(input.data()), input.size());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s SEED_DIR [MUTATIONS]\n", argv[0]);
    return 2;
  }
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(argv[1])) {
    if (entry.is_regular_file()) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) {
    std::fprintf(stderr, "no seed files in %s\n", argv[1]);
    return 2;
  }
  std::vector<std::string> seeds;
  for (const auto& file : files) {
    std::ifstream in(file, std::ios::binary);
    seeds.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    run(seeds.back());
  }
  const long mutations = argc > 2 ? std::strtol(argv[2], nullptr, 10) : 2000;
  Random random{0x6c6d6d62656e6368ULL};
  for (long i = 0; i < mutations; ++i)
    run(mutate(seeds, random));
  std::printf("%zu seeds and %ld mutations: no finding\n", seeds.size(), mutations);
  return 0;
}
