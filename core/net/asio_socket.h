#pragma once

#include "socket.h"

#include <asio/generic/datagram_protocol.hpp>
#include <asio/generic/stream_protocol.hpp>

namespace le {

// Asio's generic protocols take any address family, so TCP over IPv4/IPv6 and Unix streams share
// one socket type, and sockets connected or bound by socket.h can be handed over as they are.
asio::generic::stream_protocol stream_protocol_of(int fd);
asio::generic::datagram_protocol datagram_protocol_of(int fd);

} // namespace le
