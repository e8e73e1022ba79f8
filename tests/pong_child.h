#pragma once

// The real programs as child processes, for the suites and benches that drive them: one run to the
// end with everything it printed (run), and a server that says it is ready with a line on stdout
// (ServerChild; PongChild for latency-pong's "listening on URL"), killed on destruction so that a
// test that fails half-way leaves nothing running. QProcess rather than le::ChildProcess (core/base):
// the suites and benches set the child up between fork and exec (descriptor limits, CPU placement)
// through a child process modifier.
#include "sanitizer_build.h"

#include <QElapsedTimer>
#include <QFileInfo>
#include <QProcess>
#include <QString>
#include <QStringList>

#include <functional>
#include <utility>

// How long a server may take to say it is ready: start-up, not measurement, so generous.
inline constexpr int kChildReadyMs = 10'000 * kSanitizerSlowdown;

// What a program printed and how it ended.
struct Result {
    bool started = false;
    bool finished = false; // false: it did not start, or was killed at the timeout
    int exitCode = -1;     // the signal number when exitStatus is CrashExit
    QProcess::ExitStatus exitStatus = QProcess::CrashExit;
    QByteArray out;
    QByteArray err; // empty when stderr was forwarded
    qint64 elapsedMs = 0;

    // True when it finished by itself with exit code 0.
    bool succeeded() const { return finished && exitStatus == QProcess::NormalExit && exitCode == 0; }
    QString describe() const {
        return QStringLiteral("finished=%1 exit=%2 status=%3\nstdout:\n%4\nstderr:\n%5")
            .arg(finished)
            .arg(exitCode)
            .arg(int(exitStatus))
            .arg(QString::fromUtf8(out), QString::fromUtf8(err));
    }
};

// Collects the output of a process that was started and has now finished (or was waited on).
inline Result collect(QProcess& p, bool finished, qint64 elapsedMs) {
    Result r;
    r.started = true;
    r.finished = finished;
    r.exitCode = p.exitCode();
    r.exitStatus = p.exitStatus();
    r.out = p.readAllStandardOutput();
    r.err = p.readAllStandardError();
    r.elapsedMs = elapsedMs;
    return r;
}

// Waits up to timeoutMs (timed from now) for a started process to end and collects what it
// printed; kills it when it has not ended, so nothing outlives the test.
inline Result awaitEnd(QProcess& p, int timeoutMs) {
    QElapsedTimer timer;
    timer.start();
    const bool finished = p.waitForFinished(timeoutMs);
    const Result r = collect(p, finished, timer.elapsed());
    if (!finished) {
        p.kill();
        p.waitForFinished(3'000);
    }
    return r;
}

// Runs a program to completion (killing it after timeoutMs) and collects everything it printed.
// `prepare` sets the process up before it starts (channel mode, a child process modifier).
inline Result run(const QString& program, const QStringList& args, int timeoutMs = 15'000,
                  const std::function<void(QProcess&)>& prepare = {}) {
    QProcess p;
    if (prepare)
        prepare(p);
    QElapsedTimer timer;
    timer.start();
    p.start(program, args);
    if (!p.waitForStarted(5'000))
        return Result{};
    const bool finished = p.waitForFinished(timeoutMs);
    if (!finished) {
        p.kill();
        p.waitForFinished(5'000);
    }
    return collect(p, finished, timer.elapsed());
}

// A server as a child process; killed (SIGKILL) on destruction if still running.
class ServerChild {
public:
    ServerChild() = default;
    ServerChild(const ServerChild&) = delete;
    ServerChild& operator=(const ServerChild&) = delete;
    ~ServerChild() {
        if (proc.state() != QProcess::NotRunning) {
            proc.kill();
            proc.waitForFinished(3'000);
        }
    }

    // Starts `program` and waits up to timeoutMs for a stdout line that begins with `readyPrefix`
    // (earlier lines are skipped). Returns the rest of that line, trimmed; empty with *error set
    // when the program does not start, ends first or prints no such line in time.
    QString startAndWait(const QString& program, const QStringList& args, const QString& readyPrefix,
                         QString* error, int timeoutMs = kChildReadyMs) {
        const QString name = QFileInfo(program).fileName();
        proc.start(program, args);
        if (!proc.waitForStarted(5'000)) {
            *error = QStringLiteral("%1 did not start: %2").arg(name, proc.errorString());
            return {};
        }
        QElapsedTimer timer;
        timer.start();
        while (timer.elapsed() < timeoutMs) {
            if (proc.canReadLine()) {
                const QString line = QString::fromUtf8(proc.readLine()).trimmed();
                if (line.startsWith(readyPrefix))
                    return line.mid(readyPrefix.size());
                continue;
            }
            if (proc.state() == QProcess::NotRunning) {
                *error = QStringLiteral("%1 exited early: %2")
                             .arg(name, QString::fromUtf8(proc.readAllStandardError()));
                return {};
            }
            proc.waitForReadyRead(100);
        }
        *error = QStringLiteral("%1 printed no '%2' line within %3 ms").arg(name, readyPrefix).arg(timeoutMs);
        return {};
    }

    // SIGTERM, as the servers expect, then SIGKILL if it is still running after graceMs, so a
    // server that ignores it cannot hang the caller. proc says how it ended.
    void stop(int graceMs = 5'000) {
        if (proc.state() == QProcess::NotRunning)
            return;
        proc.terminate();
        if (!proc.waitForFinished(graceMs)) {
            proc.kill();
            proc.waitForFinished(3'000);
        }
    }

    QProcess proc; // set it up (channel mode, child modifier) before starting; inspect it after
};

// latency-pong as a child process.
class PongChild : public ServerChild {
public:
    explicit PongChild(QString program)
        : m_program(std::move(program)) {}

    // Starts latency-pong with `args` and waits for its "listening on URL" line (one per endpoint,
    // printed once all are bound); returns the first URL, or empty with *error set.
    QString start(const QStringList& args, QString* error, int timeoutMs = kChildReadyMs) {
        return startAndWait(m_program, args, QStringLiteral("listening on "), error, timeoutMs);
    }

private:
    QString m_program;
};
