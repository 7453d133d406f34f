# Finds the Apache Arrow and Parquet C++ libraries that the pyarrow wheel bundles (Debian 12 has no
# Arrow package; docs/dependencies.md). scripts/install-deps.sh unpacks the pinned wheel into
# /opt/lmmbench/pyarrow-<version> (or $LMMBENCH_ARROW_PREFIX); point LMMBENCH_ARROW_ROOT at another
# unpacked wheel (the directory that holds pyarrow/) to use that. The wheel has no CMake or
# pkg-config files, so this module finds the headers and the versioned libraries (the soname is
# all the wheel ships). The pinned version below is also the one install-deps.sh fetches.
#
# Result: LmmbenchArrow_FOUND and the imported targets LmmbenchArrow::arrow and
# LmmbenchArrow::parquet; LMMBENCH_ARROW_SO_VERSION is the soname suffix looked for.
set(LMMBENCH_ARROW_VERSION 26.0.1 CACHE STRING "The pyarrow wheel whose Arrow/Parquet C++ to use")
string(REGEX REPLACE "^([0-9]+)\\..*" "\\100" LMMBENCH_ARROW_SO_VERSION "${LMMBENCH_ARROW_VERSION}")
# install-deps.sh's LMMBENCH_ARROW_PREFIX, when set at the first configure, is the default root.
if(DEFINED ENV{LMMBENCH_ARROW_PREFIX})
  set(lmmbench_arrow_default_root "$ENV{LMMBENCH_ARROW_PREFIX}")
else()
  set(lmmbench_arrow_default_root "/opt/lmmbench/pyarrow-${LMMBENCH_ARROW_VERSION}")
endif()
set(LMMBENCH_ARROW_ROOT "${lmmbench_arrow_default_root}" CACHE PATH
  "An unpacked pyarrow wheel (the directory that holds pyarrow/)")

find_path(LMMBENCH_ARROW_INCLUDE_DIR parquet/arrow/reader.h
  PATHS "${LMMBENCH_ARROW_ROOT}/pyarrow/include" NO_DEFAULT_PATH)
find_library(LMMBENCH_ARROW_LIBRARY NAMES libarrow.so.${LMMBENCH_ARROW_SO_VERSION}
  PATHS "${LMMBENCH_ARROW_ROOT}/pyarrow" NO_DEFAULT_PATH)
find_library(LMMBENCH_PARQUET_LIBRARY NAMES libparquet.so.${LMMBENCH_ARROW_SO_VERSION}
  PATHS "${LMMBENCH_ARROW_ROOT}/pyarrow" NO_DEFAULT_PATH)

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(LmmbenchArrow
  REQUIRED_VARS LMMBENCH_PARQUET_LIBRARY LMMBENCH_ARROW_LIBRARY LMMBENCH_ARROW_INCLUDE_DIR
  VERSION_VAR LMMBENCH_ARROW_VERSION)

if(LmmbenchArrow_FOUND AND NOT TARGET LmmbenchArrow::arrow)
  add_library(LmmbenchArrow::arrow SHARED IMPORTED)
  set_target_properties(LmmbenchArrow::arrow PROPERTIES
    IMPORTED_LOCATION "${LMMBENCH_ARROW_LIBRARY}"
    IMPORTED_SONAME "libarrow.so.${LMMBENCH_ARROW_SO_VERSION}"
    INTERFACE_SYSTEM_INCLUDE_DIRECTORIES "${LMMBENCH_ARROW_INCLUDE_DIR}"
    INTERFACE_INCLUDE_DIRECTORIES "${LMMBENCH_ARROW_INCLUDE_DIR}")
  add_library(LmmbenchArrow::parquet SHARED IMPORTED)
  set_target_properties(LmmbenchArrow::parquet PROPERTIES
    IMPORTED_LOCATION "${LMMBENCH_PARQUET_LIBRARY}"
    IMPORTED_SONAME "libparquet.so.${LMMBENCH_ARROW_SO_VERSION}"
    INTERFACE_LINK_LIBRARIES LmmbenchArrow::arrow)
endif()
mark_as_advanced(LMMBENCH_ARROW_INCLUDE_DIR LMMBENCH_ARROW_LIBRARY LMMBENCH_PARQUET_LIBRARY)
