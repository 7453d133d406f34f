# `cmake --install` into a temporary prefix, then the installed lmmbench run from / with no
# LMMBENCH_HOME: it must find its shipped configs (and the CUDA module, when one was built) in the
# prefix, not in the source tree or the working directory.
#   cmake -D BUILD_DIR=... -D PREFIX=... -D SOURCE_DIR=... -D BINDIR=... -D LIBDIR=...
#         -D DATADIR=... -D DOCDIR=... -P check_install.cmake   (the dirs as GNUInstallDirs set them)
foreach(var BUILD_DIR PREFIX SOURCE_DIR BINDIR LIBDIR DATADIR DOCDIR)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "check_install.cmake: -D ${var}=... is required")
  endif()
endforeach()

file(REMOVE_RECURSE "${PREFIX}")
execute_process(COMMAND "${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${PREFIX}"
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "cmake --install failed (${rc}):\n${out}\n${err}")
endif()

set(configs "${PREFIX}/${DATADIR}/lmmbench/configs")
set(module "${PREFIX}/${LIBDIR}/lmmbench/liblmmbench_cuda.so")
foreach(file "${PREFIX}/${BINDIR}/lmmbench" "${configs}/gpus.json"
        "${configs}/prices.json" "${configs}/tasks/pope.json" "${configs}/models/gpu/llava-1.5-7b.json"
        "${PREFIX}/${DOCDIR}/architecture.md")
  if(NOT EXISTS "${file}")
    message(FATAL_ERROR "not installed: ${file}")
  endif()
endforeach()

# Runs the installed binary from / and fails unless it exits 0 and prints every `expect`.
function(run_installed)
  cmake_parse_arguments(ARG "" "" "ARGS;EXPECT;REJECT" ${ARGN})
  execute_process(
    COMMAND "${CMAKE_COMMAND}" -E env --unset=LMMBENCH_HOME --unset=LMMBENCH_CUDA_MODULE
            "${PREFIX}/${BINDIR}/lmmbench" ${ARG_ARGS}
    WORKING_DIRECTORY /
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "lmmbench ${ARG_ARGS} exited ${rc}:\n${out}\n${err}")
  endif()
  foreach(text IN LISTS ARG_EXPECT)
    string(FIND "${out}" "${text}" at)
    if(at EQUAL -1)
      message(FATAL_ERROR "lmmbench ${ARG_ARGS}: '${text}' is not in its output:\n${out}")
    endif()
  endforeach()
  foreach(text IN LISTS ARG_REJECT)
    string(FIND "${out}${err}" "${text}" at)
    if(NOT at EQUAL -1)
      message(FATAL_ERROR "lmmbench ${ARG_ARGS}: '${text}' is in its output:\n${out}\n${err}")
    endif()
  endforeach()
  message(STATUS "lmmbench ${ARG_ARGS}: ok")
endfunction()

run_installed(ARGS list tasks
  EXPECT "pope " "synthetic-open " "[${configs}/tasks/synthetic_mc.json]"
  REJECT "${SOURCE_DIR}/configs")
run_installed(ARGS gpu --model llava-1.5-7b --gpu a100-80gb --no-measure
  EXPECT "llava-1.5-7b" "${configs}/gpus.json" "NVIDIA A100 80GB SXM4"
  REJECT "${SOURCE_DIR}/configs")
run_installed(ARGS train-cost llava-1.5-13b --mfu 0.28
  EXPECT "${configs}/train/llava-1.5-13b.json" "${configs}/gpus.json" "published 25.5 h"
  REJECT "${SOURCE_DIR}/configs")
# Measuring looks for the module: the installed one when it was built (a GPU-less machine then
# says why it cannot measure, never that the module is missing or of another version).
if(EXISTS "${module}")
  run_installed(ARGS gpu --model llava-1.5-7b --gpu a100-80gb
    REJECT "no CUDA executor" "API version" "entry point" "could not be loaded")
else()
  run_installed(ARGS gpu --model llava-1.5-7b --gpu a100-80gb
    EXPECT "no CUDA executor" "${PREFIX}/${LIBDIR}/lmmbench")
endif()
# With the hf-parquet loader, the pyarrow wheel's Arrow/Parquet libraries are installed beside the
# CUDA module and the installed binary loads those (its RPATH), not the ones of the build machine.
if(PARQUET)
  foreach(lib libarrow.so libparquet.so)
    file(GLOB installed "${PREFIX}/${LIBDIR}/lmmbench/${lib}.*")
    if(NOT installed)
      message(FATAL_ERROR "not installed: ${PREFIX}/${LIBDIR}/lmmbench/${lib}.*")
    endif()
  endforeach()
  execute_process(COMMAND ldd "${PREFIX}/${BINDIR}/lmmbench" OUTPUT_VARIABLE out RESULT_VARIABLE rc)
  string(REGEX MATCHALL "lib(arrow|parquet)\\.so[^\n]*" resolved "${out}")
  list(LENGTH resolved n)
  if(NOT rc EQUAL 0 OR NOT n EQUAL 2)
    message(FATAL_ERROR "ldd of the installed lmmbench does not list both libraries:\n${out}")
  endif()
  foreach(line IN LISTS resolved)
    string(FIND "${line}" "${PREFIX}/${BINDIR}/../${LIBDIR}/lmmbench/" at)
    if(at EQUAL -1)
      message(FATAL_ERROR "the installed lmmbench does not load its own copy: ${line}")
    endif()
  endforeach()
  run_installed(ARGS list formats EXPECT "hf-parquet ")
endif()
