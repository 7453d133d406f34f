# Warnings and sanitizers are carried by one interface target that every lmmbench target links, so
# nothing here touches global flags.
add_library(lmmbench_build_options INTERFACE)
target_compile_options(lmmbench_build_options INTERFACE -Wall -Wextra -Wpedantic -Wshadow
  -Wnon-virtual-dtor -Wold-style-cast -Wcast-align -Woverloaded-virtual)
# GCC 12 at -O2/-O3 reports -Wrestrict inside libstdc++'s std::string assignment for ordinary code
# (GCC bug 105329, fixed in GCC 13); the warning points into <bits/char_traits.h>, not at us.
target_compile_options(lmmbench_build_options INTERFACE
  $<$<AND:$<CXX_COMPILER_ID:GNU>,$<VERSION_LESS:$<CXX_COMPILER_VERSION>,13>>:-Wno-restrict>)
if(LMMBENCH_WERROR)
  target_compile_options(lmmbench_build_options INTERFACE -Werror)
endif()
if(LMMBENCH_SANITIZE)
  target_compile_options(lmmbench_build_options INTERFACE -fsanitize=${LMMBENCH_SANITIZE}
    -fno-omit-frame-pointer -fno-sanitize-recover=all)
  target_link_options(lmmbench_build_options INTERFACE -fsanitize=${LMMBENCH_SANITIZE})
endif()
if(LMMBENCH_FUZZ)
  # Coverage for libFuzzer in every library; only the fuzz binaries link its main.
  target_compile_options(lmmbench_build_options INTERFACE -fsanitize=fuzzer-no-link)
  target_link_options(lmmbench_build_options INTERFACE -fsanitize=fuzzer-no-link)
endif()

# Build provenance (git revision, dirty flag, build type) is regenerated at every build, not at
# configure time, so a rebuild after a commit never reports a stale revision.
set(LMMBENCH_BUILD_INFO_CPP ${CMAKE_BINARY_DIR}/generated/build_info.cpp)
add_custom_target(lmmbench_build_info
  COMMAND ${CMAKE_COMMAND}
    -DSOURCE_DIR=${PROJECT_SOURCE_DIR}
    -DOUTPUT=${LMMBENCH_BUILD_INFO_CPP}
    -DVERSION=${PROJECT_VERSION}
    -DBUILD_TYPE=$<IF:$<BOOL:$<CONFIG>>,$<CONFIG>,unspecified>
    -DSANITIZE=${LMMBENCH_SANITIZE}
    -P ${PROJECT_SOURCE_DIR}/cmake/write_build_info.cmake
  BYPRODUCTS ${LMMBENCH_BUILD_INFO_CPP}
  COMMENT "Recording build provenance"
  VERBATIM)
