#include "session_bridge.h"

#include "host_facts.h"
#include "idle_drawing.h"
#include "ping_session.h"
#include "thread_priority.h"

#include <QDateTime>

#include <algorithm>
#include <utility>

SessionBridge::SessionBridge(QObject* parent)
    : QObject(parent) {
    m_history = newHistory(); // not in the initializer list: it reads members declared after it
    m_poll.setInterval(1000 / kPollHz);
    connect(&m_poll, &QTimer::timeout, this, &SessionBridge::poll);
}

SessionBridge::~SessionBridge() {
    m_starter.shutdown(); // waits for a start under way: PingSession::start cannot be interrupted
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

std::shared_ptr<le::RunHistory> SessionBridge::newHistory() const {
    auto history = std::make_shared<le::RunHistory>("live", m_windowS);
    history->set_detail_span(m_detailSpan);
    return history;
}

void SessionBridge::setWindowSeconds(double seconds) {
    seconds = std::clamp(seconds, 0.1, 10.0);
    if (seconds == m_windowS)
        return;
    m_windowS = seconds;
    m_history->set_window_s(seconds);
    if (!m_history->empty())
        m_history->add_marker(m_last_t, "window", tr("window %1 s").arg(seconds, 0, 'g', 3).toStdString());
}

void SessionBridge::setDetailSpan(double seconds) {
    m_detailSpan = seconds;
    m_history->set_detail_span(seconds);
}

void SessionBridge::addNote(const QString& text, double t_s) {
    const QString note = text.simplified();
    if (note.isEmpty())
        return;
    m_history->add_marker(t_s, "note", note.toStdString());
    emit historyChanged();
}

void SessionBridge::mark(const QString& key, const QString& label, double t_s) {
    if (m_history->empty())
        return;
    m_history->add_marker(t_s < 0 ? elapsedSeconds() : t_s, key.toStdString(), label.toStdString());
    emit historyChanged();
}

void SessionBridge::holdClock() {
    if (m_history->empty() || m_held.isValid())
        return;
    m_heldFrom = elapsedSeconds();
    m_held.start();
}

void SessionBridge::releaseClock() {
    if (!m_held.isValid())
        return;
    m_last_t = elapsedSeconds(); // the next start continues from here
    m_held.invalidate();
}

void SessionBridge::markEnd(const QString& label) {
    if (m_ended)
        return;
    m_ended = true;
    m_history->add_marker(m_last_t, label == tr("peer lost") ? "peer lost" : "stop", label.toStdString());
    m_history->break_at(m_last_t);
    emit historyChanged();
}

void SessionBridge::setState(State s, const QString& reason) {
    m_state = s;
    m_reason = reason;
    emit stateChanged(s, reason);
}

void SessionBridge::start(const le::PingConfig& config) {
    if (m_state == State::Starting || m_state == State::Running)
        stop();
    if (m_session) {
        // A session stopped (or lost) is still handing in its last records and its summary: they
        // belong to the history before the new session's, so the start waits for poll() to drain it.
        m_pendingStart = config;
        return;
    }
    m_config = config;
    m_config.duration = 0;
    m_time_offset = m_last_t;
    m_peerUrl = config.peer ? QString::fromStdString(config.peer->url()) : tr("in-process pong");
    setState(State::Starting);
    // Reaching a remote peer can take seconds, so the session starts on the worker. This start
    // queues behind one that stop() discarded; that one stops its session as soon as it has
    // started, rather than measuring beside this one until its dropped result is destroyed.
    m_starter.post(
        [config = m_config, nice = m_config.tasks > 0 ? m_measuredNice : 0](const JobContext& context) {
            // The session's threads inherit the nice value of the thread that makes and starts them:
            // the one read there is what they run at (run_at_nice() is best effort).
            Started started;
            le::run_at_nice(nice, [&] {
                started.nice = le::thread_nice();
                started.session = std::make_shared<le::PingSession>(config);
                started.session->start();
            });
            if (context.stopRequested()) // discarded meanwhile: nobody will read it
                started.session->stop();
            return started;
        },
        [this](const JobResult<Started>& started) { finishStart(started); });
}

bool SessionBridge::drawsIdleWith(const le::PingConfig& config) {
    return config.tasks == 0 && !le::busy_polls(config.engine);
}

bool SessionBridge::drawingMayIdle() const {
    // The tasks running now, not the start's: tasks added live load every core, and drawing at idle
    // priority behind them crawled (100 tasks held a 5 ms redraw for seconds, the window frozen).
    return m_state == State::Running && m_session && m_session->tasks() == 0 && drawsIdleWith(m_config);
}

void SessionBridge::finishStart(const JobResult<Started>& started) {
    if (!started.ok()) {
        setState(State::Error, *started.error);
        return;
    }
    m_session = started.value.session;
    m_beforeNewRun.reset();
    m_history->add_marker(m_time_offset, m_restart ? "restart" : "start",
                          (m_restart ? tr("restart") : tr("start")).toStdString());
    m_restart = false;
    m_ended = false;
    m_peerUrl = QString::fromStdString(m_session->peer().url());
    auto& info = m_history->info();
    info["peer"] = m_peerUrl.toStdString();
    info["transport"] = std::string(le::to_string(m_config.effective_transport()));
    info["engine"] = std::string(le::to_string(m_config.engine));
    info["loop"] = m_config.open_loop ? "open" : "closed";
    // As read on the thread that started the session's threads (exports state it where not 0).
    info["nice"] = std::to_string(started.value.nice);
    IdleDrawing::setWanted(drawsIdleWith(m_config)); // as drawingMayIdle() once it runs
    info["drawing"] = IdleDrawing::describe().toStdString();
    if (!info.count("started"))
        info["started"] = QDateTime::currentDateTime().toString(Qt::ISODate).toStdString();
    const le::HostFacts host = le::local_host_facts();
    info["host"] = host.hostname;
    info["kernel"] = host.kernel;
    info["cores"] = std::to_string(host.cores);
    info["cpu"] = host.cpu_model;
    m_poll.start();
    setState(State::Running);
}

void SessionBridge::stop(bool restart) {
    m_restart = restart;
    m_pendingStart.reset();
    m_starter.discard(); // a start still under way is no longer wanted
    if (m_session && (m_state == State::Running || m_state == State::Lost)) {
        m_session->stop();
        if (m_state == State::Running)
            setState(State::Stopping);
    } else if (m_state == State::Starting) {
        setState(State::Idle);
    }
}

void SessionBridge::clearHistory() {
    const bool running = m_session && m_state == State::Running;
    const auto old = m_history;
    m_history = newHistory();
    m_last_t = 0;
    m_held.invalidate(); // a compare or sweep under way marks nothing on the new, empty history
    // While measuring, the session's own clock goes on: offset it so the new history starts at 0.
    m_time_offset = running ? -m_session->elapsed_s() : 0.0;
    if (running) {
        m_history->add_marker(0, "start", tr("new run").toStdString());
        m_history->info() = old->info(); // the same session: the same conditions
        m_history->info()["started"] = QDateTime::currentDateTime().toString(Qt::ISODate).toStdString();
        // The session's records so far (they stay in the old history), to take off its summary.
        le::IntervalRecord before = m_beforeNewRun.value_or(le::IntervalRecord{});
        const auto& records = old->intervals();
        const std::size_t first = old->segments().empty() ? 0 : old->segments().back().end;
        for (std::size_t i = std::min(first, records.size()); i < records.size(); ++i)
            before.add_counts(records[i]);
        m_beforeNewRun = before;
    }
    emit historyChanged();
}

void SessionBridge::addSummary(le::IntervalRecord summary) {
    if (m_beforeNewRun) {
        // A New Run cut the session: its segment here is what came after, which is this history's
        // whole run (the cut made it the history's first session).
        const auto less = [](std::uint64_t& a, std::uint64_t b) { a -= std::min(a, b); };
        less(summary.sent, m_beforeNewRun->sent);
        less(summary.received, m_beforeNewRun->received);
        less(summary.lost, m_beforeNewRun->lost);
        less(summary.errors, m_beforeNewRun->errors);
        less(summary.bytes, m_beforeNewRun->bytes);
        less(summary.strays, m_beforeNewRun->strays);
        less(summary.skipped, m_beforeNewRun->skipped);
        summary.duration_s = std::max(0.0, summary.duration_s - m_beforeNewRun->duration_s);
        summary.achieved_rate = summary.duration_s > 0 ? double(summary.sent) / summary.duration_s : 0;
        summary.set_stats(le::stats_of(m_history->whole_run()));
        if (!m_history->whole_first().empty()) {
            summary.first = le::stats_of(m_history->whole_first());
            summary.rest = le::stats_of(m_history->whole_rest());
        }
        m_beforeNewRun.reset();
    }
    m_history->add(summary);
}

QString SessionBridge::apply(const QString& key, const QString& value) {
    if (!m_session || m_state != State::Running)
        return tr("not running");
    if (key == QLatin1String("tasks")) {
        m_starter.post(
            [session = m_session, k = key.toStdString(), v = value.toStdString()] { session->apply(k, v); },
            [this, key](const JobResult<void>& done) {
                if (!done.ok())
                    emit changeRefused(key, *done.error);
            });
        return {};
    }
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
    if (m_session && m_state == State::Running)
        return m_time_offset + m_session->elapsed_s();
    if (m_held.isValid())
        return std::max(m_last_t, m_heldFrom + double(m_held.nsecsElapsed()) / 1e9);
    return m_last_t;
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
    markEnd(tr("peer lost"));
}

void SessionBridge::poll() {
    if (!m_session)
        return;
    // Read before draining: finished() says the summary is queued and every record read, so when it
    // holds nothing is left to drain and the poll can stop (read after the drain, a summary queued
    // in between would be taken for read).
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
        if (r.kind == le::IntervalRecord::Kind::Summary)
            addSummary(std::move(r));
        else
            m_history->add(r);
        changed = true;
    }
    if (changed)
        emit historyChanged();
    if (finished) {
        m_poll.stop();
        const QString error = QString::fromStdString(m_session->error());
        // Once a stop is asked for, the session's end is the stop's: Stop ends the window's pong
        // child too, and the peer going away before the session has seen its stop is no lost peer.
        if (!error.isEmpty() && m_state != State::Lost && m_state != State::Stopping) {
            setState(State::Lost, error);
            markEnd(tr("peer lost"));
        } else if (!m_restart) {
            markEnd(tr("stop"));
        } else {
            m_history->break_at(m_last_t); // the "restart" marker follows with the new session
            m_ended = true;
        }
        m_session.reset();
        if (m_state == State::Running || m_state == State::Stopping)
            setState(State::Idle);
        if (m_pendingStart) {
            const le::PingConfig next = *std::exchange(m_pendingStart, std::nullopt);
            start(next);
        }
    }
}
