# Use ccache when it is installed; rebuilds on CI and after `git checkout`
# then cost seconds instead of minutes. Paths under the source tree are
# hashed relative to it and the build directory is not hashed, so a second
# build tree of the same sources (sanitizers aside: other flags) — the
# package build of `make package` — reuses the first one's objects.
find_program(PYLABHUB_CCACHE ccache)
if(PYLABHUB_CCACHE AND NOT CMAKE_CXX_COMPILER_LAUNCHER)
  set(launcher ${CMAKE_COMMAND} -E env CCACHE_BASEDIR=${PROJECT_SOURCE_DIR} CCACHE_NOHASHDIR=1 ${PYLABHUB_CCACHE})
  set(CMAKE_C_COMPILER_LAUNCHER ${launcher})
  set(CMAKE_CXX_COMPILER_LAUNCHER ${launcher})
endif()
