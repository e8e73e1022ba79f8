#pragma once

#include "endpoint.h"
#include "engine_kind.h"
#include "residence_chunks.h"

#include <QObject>
#include <QProcess>

#include <memory>
#include <vector>

// A latency-pong child process: the default peer of the window, so a crash of the peer cannot
// take the window with it, and killing it is a realistic "peer lost".
class PongProcess : public QObject {
    Q_OBJECT
public:
    explicit PongProcess(QObject* parent = nullptr);
    ~PongProcess() override;

    // Starts latency-pong on loopback at priority `nice` (SessionBridge::measuredNice()); emits
    // ready(url) once it prints its endpoint, or failed(reason). With `residencePeriod` > 0 the
    // child reports its residence that often (--report-residence) into residence().
    void start(le::Transport transport, le::EngineKind engine, const std::vector<int>& cpus = {},
               int nice = 0, le::Nanos residencePeriod = 0);
    void stop();
    static QString program();
    // The CPUs the running child may run on, read back from it ("any", "1", "0,2"); "unknown" when
    // it is not running.
    QString placement() const;
    // The running child's residence reports, for PingConfig::residence: fed here on the GUI thread
    // as its lines arrive, taken by the session's collector. Null when started without a period.
    std::shared_ptr<le::ResidenceChunks> residence() const { return m_residence; }

signals:
    void ready(const QString& url);
    void failed(const QString& reason);
    void exited(const QString& reason); // after ready: the peer is gone

private:
    void readOutput();
    void residenceLine(const QByteArray& line);

    QProcess m_process;
    std::shared_ptr<le::ResidenceChunks> m_residence;
    QByteArray m_output;
    bool m_ready = false;
    bool m_stopping = false;
};
