#pragma once

#include <string>

namespace le {

// What an agent tells about the host it runs on.
struct HostFacts {
    std::string hostname;
    std::string cpu_model;
    int cores = 0;
    std::string kernel; // uname -sr
    std::string agent_version;
    int protocol = 0;
};

// This host's facts (agent_version and protocol left for the caller to fill in).
HostFacts local_host_facts();

} // namespace le
