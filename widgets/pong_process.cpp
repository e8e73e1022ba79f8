#include "pong_process.h"

#include "cpu_affinity.h"
#include "residence_line.h"
#include "thread_priority.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QStandardPaths>

#include <algorithm>

PongProcess::PongProcess(QObject* parent)
    : QObject(parent) {
    connect(&m_process, &QProcess::readyReadStandardOutput, this, &PongProcess::readOutput);
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

void PongProcess::readOutput() {
    m_output += m_process.readAllStandardOutput();
    for (int nl = m_output.indexOf('\n'); nl >= 0; nl = m_output.indexOf('\n')) {
        const QByteArray line = m_output.left(nl).trimmed();
        m_output.remove(0, nl + 1);
        if (line.startsWith(le::kResidenceLinePrefix.data())) {
            residenceLine(line);
            continue;
        }
        if (m_ready)
            continue; // a second endpoint's line: the first is the one measured
        const QString text = QString::fromUtf8(line);
        if (!text.startsWith(QLatin1String("listening on "))) {
            emit failed(tr("unexpected output from latency-pong: %1").arg(text));
            return;
        }
        m_ready = true;
        emit ready(text.mid(int(qstrlen("listening on "))));
    }
}

// About ten lines a second: parsed here, off the data path; the collector takes them at its boundaries.
void PongProcess::residenceLine(const QByteArray& line) {
    if (!m_residence)
        return;
    try {
        le::ResidenceLine parsed =
            le::parse_residence_line(std::string_view(line.constData(), size_t(line.size())));
        if (parsed.chunk)
            m_residence->push(std::move(*parsed.chunk));
        else
            m_residence->set_unavailable("the pong child does not measure its residence (" +
                                         parsed.unavailable + ")");
    } catch (const std::exception& e) {
        m_residence->set_unavailable(std::string("the pong child's residence report is unreadable: ") +
                                     e.what());
    }
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
                        int nice, le::Nanos residencePeriod) {
    stop();
    m_stopping = false;
    m_ready = false;
    m_output.clear();
    // A fresh source per child: what an earlier child reported belongs to an earlier session.
    const le::Nanos periodMs =
        std::max<le::Nanos>(residencePeriod / le::kNanosPerMilli, 10); // as the child takes it
    m_residence =
        residencePeriod > 0 ? std::make_shared<le::ResidenceChunks>(periodMs * le::kNanosPerMilli) : nullptr;
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
    if (residencePeriod > 0)
        args << QStringLiteral("--report-residence") << QStringLiteral("%1ms").arg(periodMs);
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
