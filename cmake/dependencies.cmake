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
# libwebp (libwebp-dev): WebP images in datasets; stb_image does not decode WebP.
pkg_check_modules(WEBP REQUIRED IMPORTED_TARGET libwebp)
# SQLite (libsqlite3-dev): the harness's response cache (WAL, safe under SIGKILL).
find_package(SQLite3 REQUIRED)
# libcurl (libcurl4-openssl-dev): the HTTP model backends; 7.68 for curl_multi_poll/wakeup.
option(LMMBENCH_WITH_HTTP "Build the HTTP model backends (openai, gemini, anthropic)" ON)
if(LMMBENCH_WITH_HTTP)
  find_package(CURL 7.68 REQUIRED)
endif()
# Apache Arrow/Parquet C++ from the pinned pyarrow wheel (scripts/install-deps.sh): the hf-parquet
# dataset loader. On by default when found; without it that loader says so when a task uses it.
list(APPEND CMAKE_MODULE_PATH ${PROJECT_SOURCE_DIR}/cmake)
find_package(LmmbenchArrow)
option(LMMBENCH_WITH_PARQUET "Build the hf-parquet dataset loader (Arrow/Parquet C++)" ${LmmbenchArrow_FOUND})
if(LMMBENCH_WITH_PARQUET AND NOT LmmbenchArrow_FOUND)
  message(FATAL_ERROR "LMMBENCH_WITH_PARQUET needs the pyarrow wheel's Arrow/Parquet C++: run "
    "scripts/install-deps.sh or set LMMBENCH_ARROW_ROOT")
endif()
if(LMMBENCH_BUILD_TESTS)
  find_package(GTest REQUIRED)
endif()
if(LMMBENCH_BUILD_BENCHMARKS)
  find_package(benchmark REQUIRED)
endif()
