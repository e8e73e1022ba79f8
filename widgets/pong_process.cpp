#include "pong_process.h"

#include "cpu_affinity.h"
#include "thread_priority.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QStandardPaths>

PongProcess::PongProcess(QObject* parent)
    : QObject(parent) {
    connect(&m_process, &QProcess::readyReadStandardOutput, this, [this] {
        m_output += m_process.readAllStandardOutput();
        const int nl = m_output.indexOf('\n');
        if (m_ready || nl < 0)
            return;
        const QString line = QString::fromUtf8(m_output.left(nl)).trimmed();
        if (!line.startsWith(QLatin1String("listening on "))) {
            emit failed(tr("unexpected output from latency-pong: %1").arg(line));
            return;
        }
        m_ready = true;
        emit ready(line.mid(int(qstrlen("listening on "))));
    });
    connect(&m_process, &QProcess::errorOccurred, this, [this](QProcess::ProcessError e) {
        if (e == QProcess::FailedToStart)
            emit failed(tr("cannot start %1: %2").arg(program(), m_process.errorString()));
    });
    connect(&m_process, &QProcess::finished, this, [this](int code, QProcess::ExitStatus status) {
        const QString err = QString::fromUtf8(m_process.readAllStandardError()).trimmed();
        const QString how = status == QProcess::CrashExit ? tr("latency-pong was killed or crashed")
                                                          : tr("latency-pong exited with code %1").arg(code);
        const QString reason = err.isEmpty() ? how : how + QLatin1String(": ") + err.section('\n', -1);
        if (m_stopping)
            return;
        if (m_ready)
            emit exited(reason);
        else
            emit failed(reason);
    });
}

PongProcess::~PongProcess() {
    stop();
}

QString PongProcess::program() {
    // $LATENCY_PONG (tests), next to the window's executable (build tree and install), else on PATH.
    if (const QString env = qEnvironmentVariable("LATENCY_PONG"); !env.isEmpty())
        return env;
    const QString local =
        QDir(QCoreApplication::applicationDirPath()).filePath(QStringLiteral("latency-pong"));
    if (QFileInfo(local).isExecutable())
        return local;
    const QString onPath = QStandardPaths::findExecutable(QStringLiteral("latency-pong"));
    return onPath.isEmpty() ? local : onPath;
}

void PongProcess::start(le::Transport transport, le::EngineKind engine, const std::vector<int>& cpus,
                        int nice) {
    stop();
    m_stopping = false;
    m_ready = false;
    m_output.clear();
    QString url;
    if (transport == le::Transport::Unix)
        url = QStringLiteral("unix:///tmp/latency-explorer-pong-%1.sock")
                  .arg(QCoreApplication::applicationPid());
    else
        url = QStringLiteral("%1://127.0.0.1:0").arg(QString::fromLatin1(le::to_string(transport).data()));
    QStringList args{QStringLiteral("--listen"), url, QStringLiteral("--engine"),
                     QString::fromLatin1(le::to_string(engine).data())};
    if (!cpus.empty())
        args << QStringLiteral("--cpu") << QString::fromStdString(le::format_cpu_list(cpus));
    // At the ping side's priority (SessionBridge::measuredNice()): set in the child before exec, so
    // every thread of latency-pong inherits it.
    m_process.setChildProcessModifier([nice] {
        if (nice != 0)
            le::set_thread_nice(nice);
    });
    m_process.start(program(), args);
}

void PongProcess::stop() {
    if (m_process.state() == QProcess::NotRunning)
        return;
    m_stopping = true;
    m_process.terminate();
    if (!m_process.waitForFinished(2000)) {
        m_process.kill();
        m_process.waitForFinished(1000);
    }
}

QString PongProcess::placement() const {
    const qint64 pid = m_process.processId();
    return pid > 0 ? QString::fromStdString(le::placement_of(static_cast<pid_t>(pid)))
                   : QStringLiteral("unknown");
}
