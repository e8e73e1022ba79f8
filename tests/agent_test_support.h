#pragma once

// Helpers shared by the agent suites: token files, a latency-pong --agent process, a session's
// records collected to the end.
#include "interval_record.h"
#include "ping_session.h"

#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QString>

#include <vector>

// A private token file (the agent and the CLI refuse files others can read).
inline bool writeTokenFile(const QString& path, const QByteArray& token) {
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate))
        return false;
    f.write(token + "\n");
    f.close();
    return f.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner);
}

// Waits for "agent listening on tcp://HOST:PORT" and returns the URL (empty on failure).
inline QString waitForAgentUrl(QProcess& p, int timeoutMs = 10'000) {
    QElapsedTimer t;
    t.start();
    QByteArray out;
    static const QRegularExpression re(QStringLiteral("agent listening on (tcp://\\S+)"));
    while (t.elapsed() < timeoutMs) {
        p.waitForReadyRead(100);
        out += p.readAllStandardOutput();
        const auto m = re.match(QString::fromUtf8(out));
        if (m.hasMatch())
            return m.captured(1);
        if (p.state() == QProcess::NotRunning)
            break;
    }
    return {};
}

struct SessionOutcome {
    std::vector<le::IntervalRecord> intervals;
    std::vector<le::IntervalRecord> summaries;
    std::string error;
    qint64 endedMs = -1; // since the mark, when the summary came
};

// Pulls records until the summary (or timeoutMs), timing the end from `mark`.
inline SessionOutcome drain(le::PingSession& s, const QElapsedTimer& mark, int timeoutMs) {
    SessionOutcome o;
    QElapsedTimer t;
    t.start();
    le::IntervalRecord r;
    while (t.elapsed() < timeoutMs) {
        if (!s.next_record(r, 10 * le::kNanosPerMilli)) {
            if (s.finished())
                break;
            continue;
        }
        if (r.kind == le::IntervalRecord::Kind::Summary) {
            o.summaries.push_back(r);
            o.endedMs = mark.elapsed();
            break;
        }
        o.intervals.push_back(r);
    }
    o.error = s.error();
    return o;
}
