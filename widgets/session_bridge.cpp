#include "session_bridge.h"

#include "ping_session.h"

#include <QDateTime>
#include <QFile>
#include <QMetaObject>
#include <QPointer>
#include <QSysInfo>
#include <QThread>

namespace {

std::string cpuModel() {
    QFile f(QStringLiteral("/proc/cpuinfo"));
    if (!f.open(QIODevice::ReadOnly))
        return "unknown";
    for (const QByteArray& line : f.readAll().split('\n'))
        if (line.startsWith("model name"))
            return line.mid(line.indexOf(':') + 1).trimmed().toStdString();
    return "unknown";
}

} // namespace

SessionBridge::SessionBridge(QObject* parent)
    : QObject(parent)
    , m_history(std::make_shared<le::RunHistory>("live", kWindowIntervals)) {
    m_poll.setInterval(1000 / kPollHz);
    connect(&m_poll, &QTimer::timeout, this, &SessionBridge::poll);
}

SessionBridge::~SessionBridge() {
    if (m_starter.joinable())
        m_starter.join();
    if (m_session)
        m_session->stop();
}

QString SessionBridge::stateText() const {
    switch (m_state) {
    case State::Idle:
        return tr("idle");
    case State::Starting:
        return tr("starting");
    case State::Running:
        return tr("running");
    case State::Stopping:
        return tr("stopping");
    case State::Lost:
        return tr("peer lost");
    case State::Error:
        return tr("error");
    }
    return {};
}

void SessionBridge::setState(State s, const QString& reason) {
    m_state = s;
    m_reason = reason;
    emit stateChanged(s, reason);
}

void SessionBridge::start(const le::PingConfig& config) {
    if (m_state == State::Starting || m_state == State::Running)
        stop();
    if (m_starter.joinable())
        m_starter.join();
    m_config = config;
    m_config.duration = 0;
    m_time_offset = m_last_t;
    m_peerUrl = config.peer ? QString::fromStdString(config.peer->url()) : tr("in-process pong");
    setState(State::Starting);
    const int generation = ++m_generation;
    QPointer<SessionBridge> self(this);
    m_starter = std::thread([self, generation, config = m_config] {
        auto session = std::make_shared<le::PingSession>(config);
        QString error;
        try {
            session->start();
        } catch (const std::exception& e) {
            error = QString::fromStdString(e.what());
        }
        if (!self)
            return;
        QMetaObject::invokeMethod(
            self.data(),
            [self, generation, session, error] {
                if (self && generation == self->m_generation)
                    self->finishStart(session, error);
            },
            Qt::QueuedConnection);
    });
}

void SessionBridge::finishStart(std::shared_ptr<le::PingSession> session, const QString& error) {
    if (!error.isEmpty()) {
        setState(State::Error, error);
        return;
    }
    m_session = std::move(session);
    m_peerUrl = QString::fromStdString(m_session->peer().url());
    auto& info = m_history->info();
    info["peer"] = m_peerUrl.toStdString();
    info["transport"] = std::string(le::to_string(m_config.effective_transport()));
    info["engine"] = std::string(le::to_string(m_config.engine));
    info["loop"] = m_config.open_loop ? "open" : "closed";
    if (!info.count("started"))
        info["started"] = QDateTime::currentDateTime().toString(Qt::ISODate).toStdString();
    info["host"] = QSysInfo::machineHostName().toStdString();
    info["kernel"] = (QSysInfo::kernelType() + QLatin1Char(' ') + QSysInfo::kernelVersion()).toStdString();
    info["cores"] = std::to_string(QThread::idealThreadCount());
    info["cpu"] = cpuModel();
    m_poll.start();
    setState(State::Running);
}

void SessionBridge::stop() {
    ++m_generation;
    if (m_session && (m_state == State::Running || m_state == State::Lost)) {
        m_session->stop();
        if (m_state == State::Running)
            setState(State::Stopping);
    } else if (m_state == State::Starting) {
        setState(State::Idle);
    }
}

void SessionBridge::clearHistory() {
    m_history = std::make_shared<le::RunHistory>("live", kWindowIntervals);
    m_time_offset = m_last_t = 0;
    emit historyChanged();
}

QString SessionBridge::apply(const QString& key, const QString& value) {
    if (!m_session || m_state != State::Running)
        return tr("not running");
    try {
        m_session->apply(key.toStdString(), value.toStdString());
    } catch (const std::exception& e) {
        return QString::fromStdString(e.what());
    }
    return {};
}

const le::IntervalRecord* SessionBridge::latest() const {
    const auto& i = m_history->intervals();
    return i.empty() ? nullptr : &i.back();
}

double SessionBridge::elapsedSeconds() const {
    return m_session && m_state == State::Running ? m_time_offset + m_session->elapsed_s() : m_last_t;
}

void SessionBridge::markChange(const QString& key, const QString& value) {
    m_marks.push_back(le::ParamChange{m_last_t, key.toStdString(), value.toStdString()});
}

void SessionBridge::peerLost(const QString& reason) {
    if (m_state != State::Running && m_state != State::Starting)
        return;
    if (m_session)
        m_session->stop();
    setState(State::Lost, reason);
}

void SessionBridge::poll() {
    if (!m_session)
        return;
    // Read before draining: the session publishes its last records (the summary) and then says it
    // has finished, so checking after the drain could drop what came in between.
    const bool finished = m_session->finished();
    bool changed = false;
    le::IntervalRecord r;
    while (m_session->next_record(r, 0)) {
        r.t_s += m_time_offset;
        for (auto& c : r.changes)
            c.t_s += m_time_offset;
        if (r.kind == le::IntervalRecord::Kind::Interval) {
            m_last_t = r.t_s;
            r.changes.insert(r.changes.begin(), m_marks.begin(), m_marks.end());
            m_marks.clear();
        }
        m_history->add(r);
        changed = true;
    }
    if (changed)
        emit historyChanged();
    if (finished) {
        m_poll.stop();
        const QString error = QString::fromStdString(m_session->error());
        if (!error.isEmpty() && m_state != State::Lost)
            setState(State::Lost, error);
        else if (m_state == State::Running || m_state == State::Stopping)
            setState(State::Idle);
        m_session.reset();
    }
}
