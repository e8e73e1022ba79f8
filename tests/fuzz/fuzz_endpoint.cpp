// Peer URLs (tcp://HOST:PORT, udp://HOST:PORT, unix:///path). Any input either parses or throws
// std::invalid_argument; a parsed endpoint's url() parses back to the same endpoint, since that URL
// is what records, session files and the window show and what a user copies into the next run.
#include "endpoint.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view url(reinterpret_cast<const char*>(data), size);
    le::Endpoint ep;
    try {
        ep = le::parse_endpoint(url);
    } catch (const std::invalid_argument&) {
        return 0;
    }
    const std::string printed = ep.url();
    le::Endpoint back;
    try {
        back = le::parse_endpoint(printed);
    } catch (const std::invalid_argument& e) {
        std::fprintf(stderr, "'%.*s' parsed, but its url() '%s' does not: %s\n", int(size), url.data(),
                     printed.c_str(), e.what());
        std::abort();
    }
    if (!(back == ep)) {
        std::fprintf(stderr, "'%.*s' -> '%s' parses to another endpoint\n", int(size), url.data(),
                     printed.c_str());
        std::abort();
    }
    return 0;
}
