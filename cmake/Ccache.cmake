# Use ccache when it is installed; rebuilds on CI and after `git checkout`
# then cost seconds instead of minutes.
find_program(PYLABHUB_CCACHE ccache)
if(PYLABHUB_CCACHE AND NOT CMAKE_CXX_COMPILER_LAUNCHER)
  set(CMAKE_C_COMPILER_LAUNCHER "${PYLABHUB_CCACHE}")
  set(CMAKE_CXX_COMPILER_LAUNCHER "${PYLABHUB_CCACHE}")
endif()
