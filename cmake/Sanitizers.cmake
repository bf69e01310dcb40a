# One switch for the whole build, so that every library, plugin and test in a
# sanitized run is instrumented the same way (mixing instrumented and plain
# code gives false reports under TSan).
if(PYLABHUB_SANITIZER STREQUAL "address")
  # GCC 12 reports false maybe-uninitialized warnings inside libstdc++
  # (std::function in std::regex) when instrumenting; -Werror would stop the build.
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    add_compile_options(-Wno-maybe-uninitialized)
  endif()
  add_link_options(-fsanitize=address,undefined)
elseif(PYLABHUB_SANITIZER STREQUAL "thread")
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer)
  add_link_options(-fsanitize=thread)
elseif(NOT PYLABHUB_SANITIZER STREQUAL "")
  message(FATAL_ERROR "PYLABHUB_SANITIZER must be '', 'address' or 'thread', not '${PYLABHUB_SANITIZER}'")
endif()

# libFuzzer coverage for every library the fuzz targets reach.
if(PYLABHUB_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "PYLABHUB_FUZZ needs clang (libFuzzer): configure with CXX=clang++ CC=clang ('make fuzz' does)")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()
