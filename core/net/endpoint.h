#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace le {

enum class Transport { Tcp, Udp, Unix };

Transport parse_transport(std::string_view text); // "tcp", "udp", "unix"; throws std::invalid_argument
std::string_view to_string(Transport t);
bool is_stream(Transport t);

// Where a peer listens: tcp://HOST:PORT, udp://HOST:PORT, unix:///path. IPv6 hosts in brackets.
struct Endpoint {
    Transport transport = Transport::Tcp;
    std::string host; // empty for unix
    std::uint16_t port = 0;
    std::string path; // unix only

    std::string url() const;
    bool operator==(const Endpoint&) const = default;
};

Endpoint parse_endpoint(std::string_view url); // throws std::invalid_argument naming the problem

// Largest payload one UDP datagram can carry over IPv4.
inline constexpr std::size_t kMaxUdpPayload = 65'507;
inline constexpr std::size_t kMinPayload = 8; // the sequence number
inline constexpr std::size_t kMaxPayload = 1 << 20;

// Throws std::invalid_argument when the payload does not fit the transport.
void check_payload(std::size_t payload, Transport t);

} // namespace le
