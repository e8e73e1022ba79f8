#pragma once

#include <QElapsedTimer>
#include <QString>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <vector>

#include <poll.h>
#include <sys/socket.h>

// A client that writes and never reads: sends `chunk`-byte writes on the non-blocking socket `fd`
// until `limit` bytes went or nothing more has gone for `stallMs` (its buffers and the peer's are
// full: the peer stopped reading). Returns the bytes that went; a send failing other than "would
// block" or "no buffer space" sets `*error` and stops.
inline std::size_t pushUntilStalled(int fd, std::size_t chunk, std::size_t limit, int stallMs,
                                    QString* error) {
    const std::vector<char> bytes(chunk, 'x');
    std::size_t pushed = 0;
    QElapsedTimer timer;
    timer.start();
    qint64 progressAt = 0;
    while (pushed < limit && timer.elapsed() - progressAt < stallMs) {
        const ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (n > 0) {
            pushed += std::size_t(n);
            progressAt = timer.elapsed();
            continue;
        }
        if (n == 0 || (errno != EAGAIN && errno != ENOBUFS)) {
            *error = QStringLiteral("send: %1").arg(n == 0 ? "nothing sent" : std::strerror(errno));
            break;
        }
        pollfd p{fd, POLLOUT, 0};
        ::poll(&p, 1, 50);
    }
    return pushed;
}
