#include "blocking_io.h"

#include <cstring>

namespace le {

std::string describe_errno(int err) {
    if (err == ECONNREFUSED)
        return "connection refused by peer (is it listening?)";
    if (err == ECONNRESET || err == EPIPE)
        return "connection reset by peer";
    return std::strerror(err);
}

std::string describe_io_failure(const IoResult& r) {
    switch (r.status) {
    case IoStatus::Closed:
        return "peer closed the connection";
    case IoStatus::Error:
        return describe_errno(r.error);
    case IoStatus::Idle:
        return "timed out";
    case IoStatus::Ok:
        break;
    }
    return {};
}

} // namespace le
