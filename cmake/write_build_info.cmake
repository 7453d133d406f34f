# Script mode: writes build_info.cpp with the current git revision and dirty flag, touching the file
# only when its content changes so that an unchanged tree does not trigger a relink.
find_package(Git QUIET)
set(REVISION "unknown")
set(DIRTY "false")
if(GIT_FOUND AND EXISTS ${SOURCE_DIR}/.git)
  execute_process(COMMAND ${GIT_EXECUTABLE} rev-parse HEAD WORKING_DIRECTORY ${SOURCE_DIR}
    OUTPUT_VARIABLE REVISION OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET RESULT_VARIABLE rev_rc)
  if(NOT rev_rc EQUAL 0)
    set(REVISION "unknown")
  endif()
  execute_process(COMMAND ${GIT_EXECUTABLE} status --porcelain --untracked-files=no
    WORKING_DIRECTORY ${SOURCE_DIR} OUTPUT_VARIABLE status ERROR_QUIET)
  if(NOT "${status}" STREQUAL "")
    set(DIRTY "true")
  endif()
endif()
set(content "// Generated at build time by cmake/write_build_info.cmake. Do not edit.
#include \"core/build_info.hpp\"

namespace lmmbench {
const BuildInfo& build_info() {
  static const BuildInfo info{\"${VERSION}\", \"${REVISION}\", ${DIRTY}, \"${BUILD_TYPE}\", \"${SANITIZE}\"};
  return info;
}
}  // namespace lmmbench
")
if(EXISTS ${OUTPUT})
  file(READ ${OUTPUT} old)
else()
  set(old "")
endif()
if(NOT "${old}" STREQUAL "${content}")
  file(WRITE ${OUTPUT} "${content}")
endif()
