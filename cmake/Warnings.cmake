# Warnings for targets we own; third-party headers come in as SYSTEM and are
# not affected.
function(pylabhub_set_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wshadow -Wcast-align -Wformat=2 -Wimplicit-fallthrough
    $<$<COMPILE_LANGUAGE:CXX>:-Wnon-virtual-dtor -Woverloaded-virtual -Wmissing-declarations>
    # Options structs are filled with designated initializers that leave the
    # rest at their defaults on purpose.
    -Wno-missing-field-initializers)
  if(PYLABHUB_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
