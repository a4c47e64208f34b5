# librdkafka: exactly the build scripts/librdkafka/build.sh selected (from Debian's source
# package, static, in the cache outside the clone), never a system one. Defines the
# imported target sfcrimed::rdkafka (C and C++ API) and RDKAFKA_VERSION.
#
# SFCRIMED_RDKAFKA_PREFIX overrides the selection (a prefix with include/ and lib/ holding
# librdkafka.a and librdkafka++.a); the minimum version of scripts/librdkafka/pin.env holds
# for it too.
#
# SFCRIMED_RDKAFKA_SHARED links the shared libraries instead, found through the build
# tree's RPATH: the ThreadSanitizer preset's choice, so that test/tsan.supp can set aside
# what librdkafka's own uninstrumented code does (called_from_lib needs a library of its
# own) while races in sfcrimed's code, its librdkafka callbacks included, are reported.
# Never installed.

file(STRINGS ${PROJECT_SOURCE_DIR}/scripts/librdkafka/pin.env rdkafka_pin REGEX "^LIBRDKAFKA_(VERSION|MINIMUM)=")
string(REGEX REPLACE ".*LIBRDKAFKA_MINIMUM=([0-9.]+).*" "\\1" rdkafka_minimum "${rdkafka_pin}")
string(REGEX REPLACE ".*LIBRDKAFKA_VERSION=([^;]+).*" "\\1" rdkafka_pinned "${rdkafka_pin}")
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/scripts/librdkafka/pin.env)

set(SFCRIMED_RDKAFKA_PREFIX "" CACHE PATH "librdkafka build to use (empty: the one scripts/setup.sh selected)")
set(rdkafka_prefix "${SFCRIMED_RDKAFKA_PREFIX}")
if(NOT rdkafka_prefix)
  # The same cache as scripts/lib/common.sh's SFCRIMED_CACHE_HOME.
  if(DEFINED ENV{SFCRIMED_CACHE_HOME})
    set(rdkafka_cache "$ENV{SFCRIMED_CACHE_HOME}/librdkafka")
  elseif(DEFINED ENV{XDG_CACHE_HOME})
    set(rdkafka_cache "$ENV{XDG_CACHE_HOME}/sfcrimed/librdkafka")
  else()
    set(rdkafka_cache "$ENV{HOME}/.cache/sfcrimed/librdkafka")
  endif()
  if(EXISTS "${rdkafka_cache}/current")
    file(REAL_PATH "${rdkafka_cache}/current" rdkafka_prefix)
  endif()
  # A new selection (setup.sh built another version) reconfigures on the next build.
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${rdkafka_cache}/current")
endif()
if(NOT rdkafka_prefix OR NOT EXISTS "${rdkafka_prefix}/lib/librdkafka.a" OR NOT EXISTS
                                                                            "${rdkafka_prefix}/lib/librdkafka++.a")
  message(FATAL_ERROR "librdkafka: no build at '${rdkafka_prefix}${rdkafka_cache}'. sfcrimed needs librdkafka "
                      "${rdkafka_minimum} or newer built from Debian's source package (Debian 12's 2.0.2 is too old): "
                      "run scripts/setup.sh, which builds ${rdkafka_pinned} there (scripts/librdkafka/build.sh), "
                      "or set SFCRIMED_RDKAFKA_PREFIX to such a build.")
endif()

file(STRINGS "${rdkafka_prefix}/lib/pkgconfig/rdkafka.pc" rdkafka_pc REGEX "^(Version|Requires.private):")
string(REGEX REPLACE ".*Version: ([0-9.]+).*" "\\1" RDKAFKA_VERSION "${rdkafka_pc}")
string(REGEX REPLACE ".*Requires.private: ([^;]*).*" "\\1" rdkafka_requires "${rdkafka_pc}")
if(RDKAFKA_VERSION VERSION_LESS rdkafka_minimum)
  message(FATAL_ERROR "librdkafka ${RDKAFKA_VERSION} at ${rdkafka_prefix} is older than the minimum ${rdkafka_minimum} "
                      "(scripts/librdkafka/pin.env): run scripts/setup.sh to build ${rdkafka_pinned}.")
endif()

# What the static library needs, as its build recorded it (zlib, OpenSSL, SASL, zstd, curl, lz4).
string(REPLACE " " ";" rdkafka_requires "${rdkafka_requires}")
pkg_check_modules(RDKAFKA_DEPS REQUIRED IMPORTED_TARGET ${rdkafka_requires})
find_package(Threads REQUIRED)
option(SFCRIMED_RDKAFKA_SHARED "Link librdkafka's shared libraries (for the ThreadSanitizer build)" OFF)
if(SFCRIMED_RDKAFKA_SHARED)
  set(rdkafka_kind SHARED)
  # An installed TSan build (install_destdir's test) finds them where they were linked.
  set(CMAKE_INSTALL_RPATH_USE_LINK_PATH ON)
  set(rdkafka_c "${rdkafka_prefix}/lib/librdkafka.so.1")
  set(rdkafka_cpp "${rdkafka_prefix}/lib/librdkafka++.so.1")
else()
  set(rdkafka_kind STATIC)
  set(rdkafka_c "${rdkafka_prefix}/lib/librdkafka.a")
  set(rdkafka_cpp "${rdkafka_prefix}/lib/librdkafka++.a")
endif()
if(NOT EXISTS "${rdkafka_c}" OR NOT EXISTS "${rdkafka_cpp}")
  message(FATAL_ERROR "librdkafka: ${rdkafka_c} or ${rdkafka_cpp} is missing: run scripts/setup.sh")
endif()
add_library(sfcrimed_rdkafka_c ${rdkafka_kind} IMPORTED)
set_target_properties(sfcrimed_rdkafka_c PROPERTIES IMPORTED_LOCATION "${rdkafka_c}"
                                                    INTERFACE_INCLUDE_DIRECTORIES "${rdkafka_prefix}/include")
target_link_libraries(sfcrimed_rdkafka_c INTERFACE PkgConfig::RDKAFKA_DEPS Threads::Threads ${CMAKE_DL_LIBS} m rt)
add_library(sfcrimed::rdkafka ${rdkafka_kind} IMPORTED)
set_target_properties(sfcrimed::rdkafka PROPERTIES IMPORTED_LOCATION "${rdkafka_cpp}")
target_link_libraries(sfcrimed::rdkafka INTERFACE sfcrimed_rdkafka_c)
message(STATUS "librdkafka ${RDKAFKA_VERSION} (${rdkafka_kind}): ${rdkafka_prefix}")
