# Every third-party library comes from a Debian package (see docs/dependencies.md for why each is here).
find_package(nlohmann_json 3.11 REQUIRED)
find_package(fmt REQUIRED)
find_package(CLI11 REQUIRED)
find_package(OpenSSL REQUIRED COMPONENTS Crypto)
find_package(Threads REQUIRED)
# ICU (libicu-dev): Python's full Unicode case mapping and digit classes for the VQA-family scorers.
find_package(ICU REQUIRED COMPONENTS uc)
find_package(PkgConfig REQUIRED)
# Debian's libstb-dev ships the stb implementations compiled into libstb.a, described by stb.pc.
pkg_check_modules(STB REQUIRED IMPORTED_TARGET stb)
if(LMMBENCH_BUILD_TESTS)
  find_package(GTest REQUIRED)
endif()
if(LMMBENCH_BUILD_BENCHMARKS)
  find_package(benchmark REQUIRED)
endif()
