#include "endpoint.h"

#include "units.h"

#include <fmt/format.h>

#include <charconv>
#include <stdexcept>

namespace le {

Transport parse_transport(std::string_view text) {
    if (text == "tcp")
        return Transport::Tcp;
    if (text == "udp")
        return Transport::Udp;
    if (text == "unix")
        return Transport::Unix;
    throw std::invalid_argument(fmt::format("invalid transport '{}' (expected tcp, udp or unix)", text));
}

std::string_view to_string(Transport t) {
    switch (t) {
    case Transport::Tcp:
        return "tcp";
    case Transport::Udp:
        return "udp";
    case Transport::Unix:
        return "unix";
    }
    return "?";
}

bool is_stream(Transport t) {
    return t != Transport::Udp;
}

std::string Endpoint::url() const {
    if (transport == Transport::Unix)
        return fmt::format("unix://{}", path);
    if (host.find(':') != std::string::npos)
        return fmt::format("{}://[{}]:{}", to_string(transport), host, port);
    return fmt::format("{}://{}:{}", to_string(transport), host, port);
}

Endpoint parse_endpoint(std::string_view url) {
    const auto fail = [&](std::string_view why) {
        return std::invalid_argument(fmt::format(
            "invalid peer URL '{}': {} (expected tcp://HOST:PORT, udp://HOST:PORT or unix:///path)", url,
            why));
    };
    const auto sep = url.find("://");
    if (sep == std::string_view::npos)
        throw fail("missing scheme");
    Endpoint ep;
    try {
        ep.transport = parse_transport(url.substr(0, sep));
    } catch (const std::invalid_argument&) {
        throw fail(fmt::format("unknown scheme '{}'", url.substr(0, sep)));
    }
    std::string_view rest = url.substr(sep + 3);
    if (ep.transport == Transport::Unix) {
        if (rest.empty() || rest.front() != '/')
            throw fail("a unix socket needs an absolute path");
        if (rest.size() >= 108)
            throw fail("the socket path is longer than 107 bytes");
        ep.path = std::string(rest);
        return ep;
    }
    std::string_view host;
    std::string_view port;
    if (!rest.empty() && rest.front() == '[') {
        const auto close = rest.find(']');
        if (close == std::string_view::npos || close + 1 >= rest.size() || rest[close + 1] != ':')
            throw fail("an IPv6 host must be written [ADDR]:PORT");
        host = rest.substr(1, close - 1);
        port = rest.substr(close + 2);
    } else {
        const auto colon = rest.rfind(':');
        if (colon == std::string_view::npos)
            throw fail("missing :PORT");
        host = rest.substr(0, colon);
        port = rest.substr(colon + 1);
        if (host.find(':') != std::string_view::npos)
            throw fail("an IPv6 host must be written [ADDR]:PORT");
    }
    if (host.empty())
        throw fail("missing host");
    // Brackets only delimit an IPv6 host: "udp://[[]:7" would print as "udp://[:7", which is no URL.
    if (host.find_first_of("/?#@ []") != std::string_view::npos)
        throw fail("bad character in host");
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (port.empty() || ec != std::errc() || end != port.data() + port.size() || value > 65535)
        throw fail(fmt::format("port '{}' is not a number from 0 to 65535", port));
    ep.host = std::string(host);
    ep.port = static_cast<std::uint16_t>(value);
    return ep;
}

void check_payload(std::size_t payload, Transport t) {
    if (payload < kMinPayload || payload > kMaxPayload)
        throw std::invalid_argument(fmt::format("payload {} is out of range (expected {} to {})",
                                                format_size(payload), format_size(kMinPayload),
                                                format_size(kMaxPayload)));
    if (t == Transport::Udp && payload > kMaxUdpPayload)
        throw std::invalid_argument(
            fmt::format("payload {} does not fit one UDP datagram (at most {} bytes over UDP)",
                        format_size(payload), kMaxUdpPayload));
}

} // namespace le
