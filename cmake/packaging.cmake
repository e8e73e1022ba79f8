# Installing and packaging: man pages made from the programs' own --help at build time (help2man, so
# they never drift from the code), and CPack's two Debian packages:
#   latency-pong      latency-pong and its man page; no Qt (it ships alone to servers)
#   latency-explorer  the window, latency-ping, the .desktop file, the icon, their man pages; depends
#                     on latency-pong (the window starts it as its local peer)
# Their library dependencies come from dpkg-shlibdeps (dpkg-dev), so they name exactly the Debian
# packages of the libraries the programs link. `cpack` in the build folder writes
# latency-explorer_<version>_amd64.deb and latency-pong_<version>_amd64.deb.

find_program(HELP2MAN help2man)
find_program(GZIP gzip)

# le_man_page(TARGET COMPONENT DESCRIPTION): TARGET.1.gz from `TARGET --help` and `--version`,
# installed to share/man/man1 with COMPONENT. Without help2man (not a ./run package) there is none.
function(le_man_page target component description)
    if(NOT HELP2MAN OR NOT GZIP)
        return()
    endif()
    set(page ${CMAKE_CURRENT_BINARY_DIR}/${target}.1)
    # The window's --help needs no display: Qt's offscreen platform serves it.
    add_custom_command(OUTPUT ${page}.gz
        COMMAND ${CMAKE_COMMAND} -E env QT_QPA_PLATFORM=offscreen
            ${HELP2MAN} --no-info --name=${description} --output=${page} $<TARGET_FILE:${target}>
        COMMAND ${GZIP} -9nf ${page}
        DEPENDS ${target}
        COMMENT "Man page of ${target} (help2man)"
        VERBATIM)
    add_custom_target(${target}-man ALL DEPENDS ${page}.gz)
    install(FILES ${page}.gz DESTINATION share/man/man1 COMPONENT ${component})
endfunction()

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME latency-explorer)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "Latency Explorer developers <latency-explorer@users.noreply.github.com>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Network round-trip latency you can steer while it runs")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL pong)
if(LE_WITH_QT)
    list(APPEND CPACK_COMPONENTS_ALL explorer)
endif()
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PONG_PACKAGE_NAME latency-pong)
set(CPACK_DEBIAN_PONG_DESCRIPTION "Echo peer and remote agent for Latency Explorer
 latency-pong echoes every byte it receives over TCP, UDP or Unix sockets, with optional delay,
 jitter and loss, and serves Latency Explorer's remote agent protocol. It needs no Qt.")
set(CPACK_DEBIAN_EXPLORER_PACKAGE_NAME latency-explorer)
set(CPACK_DEBIAN_EXPLORER_PACKAGE_DEPENDS "latency-pong (= ${PROJECT_VERSION})")
# The sweeps' ICMP baseline runs the system ping; agents started over SSH run the system ssh.
set(CPACK_DEBIAN_EXPLORER_PACKAGE_RECOMMENDS "iputils-ping, openssh-client")
set(CPACK_DEBIAN_EXPLORER_DESCRIPTION "Network round-trip latency you can steer while it runs
 A ping-pong round-trip-time benchmark: message rate, payload and compute load change live, every
 interval is an HDR histogram with percentiles to p99.99, runs save, compare and export (PNG, PDF,
 SVG, CSV, JSON, HdrHistogram interval logs). latency-explorer is the window, latency-ping the
 headless tool.")
include(CPack)
