# `cmake --install`: a standard tree under the prefix (docs/install.md):
#   bin/pylabhub, <libdir>/pylabhub/plugins/*.so, include/pylabhub,
#   <libdir>/cmake/pylabhub (find_package), <libdir>/pkgconfig/pylabhub-sdk.pc,
#   share/pylabhub/configs, share/doc/pylabhub.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(DIRECTORY ${PROJECT_SOURCE_DIR}/framework/include/pylabhub DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT dev)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/configs/ DESTINATION ${CMAKE_INSTALL_DATADIR}/pylabhub/configs COMPONENT runtime)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT runtime)
install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT runtime)

# The service unit goes where systemd looks for packaged units.
set(PYLABHUB_SYSTEMD_UNIT_DIR lib/systemd/system CACHE STRING "where the pylabhub@.service unit is installed, relative to the prefix")
install(FILES ${PROJECT_SOURCE_DIR}/packaging/systemd/pylabhub@.service DESTINATION ${PYLABHUB_SYSTEMD_UNIT_DIR} COMPONENT runtime)

set(PYLABHUB_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/pylabhub)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/package/pylabhubConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/pylabhubConfig.cmake
  INSTALL_DESTINATION ${PYLABHUB_CMAKE_DIR}
  PATH_VARS CMAKE_INSTALL_INCLUDEDIR PYLABHUB_INSTALL_PLUGIN_DIR)
# A plugin built for ABI 1.x loads in any 1.y host with y >= x: the same
# major, and a minor at least the one asked for.
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/pylabhubConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMajorVersion ARCH_INDEPENDENT)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/pylabhubConfig.cmake ${CMAKE_CURRENT_BINARY_DIR}/pylabhubConfigVersion.cmake
  DESTINATION ${PYLABHUB_CMAKE_DIR} COMPONENT dev)
file(RELATIVE_PATH PYLABHUB_PC_TO_PREFIX ${CMAKE_INSTALL_FULL_LIBDIR}/pkgconfig ${CMAKE_INSTALL_PREFIX})
configure_file(${PROJECT_SOURCE_DIR}/cmake/package/pylabhub-sdk.pc.in ${CMAKE_CURRENT_BINARY_DIR}/pylabhub-sdk.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/pylabhub-sdk.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT dev)

# `make package`: Debian packages, configured with -DCMAKE_INSTALL_PREFIX=/usr
# so that the plugin directory is the multiarch one.
#   pylabhub      the host, the built-in plugins, configs, docs
#   pylabhub-dev  the SDK headers, the CMake package, the .pc file
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME pylabhub)
set(CPACK_PACKAGE_VENDOR "pyLabHub")
set(CPACK_PACKAGE_CONTACT "pyLabHub maintainers <pylabhub@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "data exchange hub for labs: shared-memory channels, plugins, transports")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
set(CPACK_COMPONENTS_ALL runtime dev)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME pylabhub)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SECTION science)
set(CPACK_DEBIAN_DEV_PACKAGE_NAME pylabhub-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS "pylabhub (= ${PROJECT_VERSION})")
# dpkg-shlibdeps for the executable and the plugins (MODULEs in a private
# directory: without it their dependencies would silently go missing).
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SHLIBDEPS ON)
if(PYLABHUB_HAVE_PYTHON)
  # The pylabhub module and the python plugin import numpy; HDF5 export uses h5py.
  set(CPACK_DEBIAN_RUNTIME_PACKAGE_DEPENDS "python3 (>= ${Python_VERSION_MAJOR}.${Python_VERSION_MINOR}), python3-numpy")
  set(CPACK_DEBIAN_RUNTIME_PACKAGE_RECOMMENDS "python3-h5py")
endif()
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS ${CMAKE_BINARY_DIR}/lib/pylabhub/plugins)
include(CPack)
