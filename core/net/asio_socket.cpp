#include "asio_socket.h"

#include <netinet/in.h>
#include <sys/socket.h>

namespace le {
namespace {

int family_of(int fd) {
    sockaddr_storage ss{};
    socklen_t len = sizeof(ss);
    getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
    return ss.ss_family;
}

} // namespace

asio::generic::stream_protocol stream_protocol_of(int fd) {
    const int family = family_of(fd);
    return {family, family == AF_UNIX ? 0 : IPPROTO_TCP};
}

asio::generic::datagram_protocol datagram_protocol_of(int fd) {
    const int family = family_of(fd);
    return {family, family == AF_UNIX ? 0 : IPPROTO_UDP};
}

} // namespace le
