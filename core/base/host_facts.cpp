#include "host_facts.h"

#include <fstream>
#include <thread>

#include <sys/utsname.h>
#include <unistd.h>

namespace le {
namespace {

std::string trim(std::string s) {
    const auto first = s.find_first_not_of(" \t");
    const auto last = s.find_last_not_of(" \t\r");
    return first == std::string::npos ? std::string{} : s.substr(first, last - first + 1);
}

std::string cpu_model() {
    std::ifstream in("/proc/cpuinfo");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("model name", 0) == 0 && line.find(':') != std::string::npos)
            return trim(line.substr(line.find(':') + 1));
    return "unknown";
}

} // namespace

HostFacts local_host_facts() {
    HostFacts f;
    char name[256] = {};
    f.hostname = ::gethostname(name, sizeof name - 1) == 0 ? name : "unknown";
    f.cpu_model = cpu_model();
    f.cores = static_cast<int>(std::thread::hardware_concurrency());
    utsname u{};
    f.kernel = ::uname(&u) == 0 ? std::string(u.sysname) + " " + u.release : "unknown";
    return f;
}

} // namespace le
