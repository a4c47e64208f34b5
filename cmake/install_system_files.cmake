# Run by `cmake --install` (install(SCRIPT) in the top-level CMakeLists.txt), so that the
# two files whose place follows the prefix given at install time (`--prefix`), not the one
# configured, land where that prefix's system looks for them:
#   the configuration: /etc/sfcrimed when the prefix is /usr (the FHS, and GNUInstallDirs'
#     own exception), PREFIX/etc/sfcrimed otherwise (the GNU convention: /usr/local/etc);
#   the unit and its template: systemd's unit directory when the prefix is /usr (pkg-config's
#     systemdsystemunitdir: /lib/systemd/system on Debian 12), PREFIX/lib/systemd/system
#     otherwise, which systemd also searches when PREFIX is /usr/local. Not
#     CMAKE_INSTALL_LIBDIR: units never go under lib/<multiarch>.
# Set before this script runs: sfcrimed_source_dir, sfcrimed_distro_unit_dir.
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  set(sfcrimed_sysconf_dir "/etc/sfcrimed")
  set(sfcrimed_unit_dir "${sfcrimed_distro_unit_dir}")
else()
  set(sfcrimed_sysconf_dir "${CMAKE_INSTALL_PREFIX}/etc/sfcrimed")
  set(sfcrimed_unit_dir "${CMAKE_INSTALL_PREFIX}/lib/systemd/system")
endif()
# file(INSTALL) puts $DESTDIR in front, logs each file and adds it to install_manifest.txt.
file(INSTALL DESTINATION "${sfcrimed_sysconf_dir}" TYPE FILE FILES "${sfcrimed_source_dir}/etc/sfcrimed.ini")
# The units' LoadCredential= file: empty as shipped, for root alone, and never replaced
# once it exists (it holds the operator's passwords then).
if(NOT EXISTS "$ENV{DESTDIR}${sfcrimed_sysconf_dir}/credentials.ini")
  file(INSTALL DESTINATION "${sfcrimed_sysconf_dir}" TYPE FILE FILES "${sfcrimed_source_dir}/etc/credentials.ini"
       FILE_PERMISSIONS OWNER_READ OWNER_WRITE)
endif()
# The unit, and its template for several instances on one host (sfcrimed@NAME).
file(INSTALL DESTINATION "${sfcrimed_unit_dir}" TYPE FILE
     FILES "${sfcrimed_source_dir}/systemd/sfcrimed.service" "${sfcrimed_source_dir}/systemd/sfcrimed@.service")
