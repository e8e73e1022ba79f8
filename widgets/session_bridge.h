#pragma once

#include "background_worker.h"
#include "ping_config.h"
#include "run_history.h"
#include "thread_priority.h"

#include <QElapsedTimer>
#include <QObject>
#include <QString>
#include <QTimer>

#include <memory>
#include <optional>

namespace le {
class PingSession;
}

// The one place the GUI meets the measuring core. It owns the PingSession, pulls its interval
// records on a GUI-thread timer (never a signal per message) into a RunHistory the plots read,
// and forwards live changes. Starting happens off the GUI thread, since reaching a remote peer can
// take seconds.
class SessionBridge : public QObject {
    Q_OBJECT
public:
    enum class State { Idle, Starting, Running, Stopping, Lost, Error };
    Q_ENUM(State)

    // The priority (nice value) of everything the window measures in a run with compute tasks: the
    // ping's threads, its tasks, the pong in this process (and the pong child, PongProcess). Below
    // the GUI thread (nice 0), so that an overload (1000 tasks asking for 20 cores of 2) starves the
    // measurement, as it would anywhere, but not the window; all measured threads share the one
    // value, so they compete with each other as they do at nice 0 in latency-ping. A run without
    // tasks cannot overload anything and stays at nice 0: at nice 19 it would yield to every other
    // program on the machine (the window measured 69 msg/s back-to-back beside busy compilers).
    static constexpr int kMeasuredNice = le::kMeasuredNice;
    static int measuredNice(const le::PingConfig& config) { return config.tasks > 0 ? kMeasuredNice : 0; }
    // Another value for runs with tasks started from now on (bench_window compares with 0: all at
    // the window's priority, as before there was a choice).
    void setMeasuredNice(int nice) { m_measuredNice = nice; }
    // Whether the window may draw at idle priority while this run measures (IdleDrawing): it is
    // running, without compute tasks now, live changes included (tasks leave no idle CPU to draw
    // in), on an engine that sleeps while it waits (a busy-polling one leaves none either).
    bool drawingMayIdle() const;
    // The part of that a run's configuration decides.
    static bool drawsIdleWith(const le::PingConfig& config);

    explicit SessionBridge(QObject* parent = nullptr);
    ~SessionBridge() override;

    // Starts measuring with `config` (its duration is ignored: runs last until stop()). The history
    // goes on from where it was, so a restart (new engine, loop mode) continues the same curves.
    // The timeline gets a "start" marker, or "restart" when the stop before it said so. Once it
    // runs, the history's info() holds its conditions: peer, transport, engine, loop, host, ... and
    // "nice", the nice value its threads run at as read where they were started, and "drawing", the
    // priority the window draws at beside it (IdleDrawing::describe()).
    void start(const le::PingConfig& config);
    // Stops measuring; the timeline gets a "stop" marker and a gap once the last records are in.
    // `restart`: a start follows at once (engine, loop or peer switch), marked "restart" instead.
    void stop(bool restart = false);
    // Starts a fresh history: the clock restarts at 0, also while measuring. While measuring, the
    // new history keeps the session's conditions (info(), "started" now), and the session's summary
    // counts only what came after (its segment in the new history).
    void clearHistory();

    // The sliding window of the curves, the histograms and the readout, 0.1 to 10 s, from the next
    // interval on (marked on the timeline while measuring). Kept across clearHistory().
    void setWindowSeconds(double seconds);
    double windowSeconds() const { return m_windowS; }
    // Seconds of full detail the live history keeps (the plots' visible time span).
    void setDetailSpan(double seconds);
    // A timeline marker that is not a stop of the bridge's own ("compare", "sweep": the live
    // measurement made way for them, and their slices), at `t_s` or, when negative, now. Nothing
    // while the history is empty.
    void mark(const QString& key, const QString& label, double t_s = -1);
    // While a compare or a sweep measures instead of the live run, the timeline's clock goes on in
    // wall time (from holdClock() to releaseClock()), so their slices are marked where they ran
    // and the live run that resumes after them starts after them on the time axis, past a gap.
    // Nothing while the history is empty.
    void holdClock();
    void releaseClock();
    // A user note at `t_s` (elapsedSeconds() when the user asked), saved with the run and drawn as a marker.
    // Empty text: ignored.
    void addNote(const QString& text, double t_s);

    // Applies a live change ("rate", "10k"); returns an empty string or why it was refused. A
    // "tasks" change starts or stops threads (1000 took up to 0.3 s), so it is applied on the worker,
    // in order with the others of its kind, and the GUI thread keeps drawing meanwhile: it returns
    // empty, and a refusal comes later through changeRefused().
    QString apply(const QString& key, const QString& value);

    State state() const { return m_state; }
    QString stateText() const;
    QString reason() const { return m_reason; }
    std::shared_ptr<const le::RunHistory> history() const { return m_history; }
    const le::PingConfig& config() const { return m_config; }
    QString peerUrl() const { return m_peerUrl; }
    // Latest interval record (statistics), if any.
    const le::IntervalRecord* latest() const;
    // True while records are flowing (running); false once stopped, lost or failed.
    bool flowing() const { return m_state == State::Running; }
    double elapsedSeconds() const;

    // Stamps a change the core did not see (engine, loop mode) into the next interval record.
    void markChange(const QString& key, const QString& value);

    // Marks the peer as lost (e.g. the pong child died); the session stops, the history stays.
    void peerLost(const QString& reason);

    static constexpr int kPollHz = 30;
    static constexpr le::Nanos kRecordInterval = le::kNanosPerSecond / kPollHz;

signals:
    void stateChanged(SessionBridge::State state, const QString& reason);
    void historyChanged(); // new records arrived (at most kPollHz times a second)
    // A change apply() handed to the worker was refused (or took only in part): why.
    void changeRefused(const QString& key, const QString& error);

private:
    void poll();
    void setState(State s, const QString& reason = {});
    // A session started on the worker, and the nice value its threads run at.
    struct Started {
        std::shared_ptr<le::PingSession> session;
        int nice = 0;
    };
    void finishStart(const JobResult<Started>& started);
    std::shared_ptr<le::RunHistory> newHistory() const;
    // Adds the session's summary to the history, less what a New Run cut off (clearHistory()).
    void addSummary(le::IntervalRecord summary);
    // Marks the end of the data on the timeline: a marker labelled `label` and a gap.
    void markEnd(const QString& label);

    std::shared_ptr<le::PingSession> m_session;
    std::shared_ptr<le::RunHistory> m_history;
    le::PingConfig m_config;
    int m_measuredNice = kMeasuredNice;
    QString m_peerUrl;
    State m_state = State::Idle;
    QString m_reason;
    QTimer m_poll;
    double m_time_offset = 0; // t_s of the previous sessions, so restarts continue the time axis
    double m_last_t = 0;
    QElapsedTimer m_held;  // valid between holdClock() and releaseClock()
    double m_heldFrom = 0; // elapsedSeconds() at holdClock()
    double m_windowS = 1.0;
    double m_detailSpan = 60.0;
    bool m_restart = false; // the session stopping now is restarted at once
    // What the running session had recorded before a New Run: taken off its summary.
    std::optional<le::IntervalRecord> m_beforeNewRun;
    std::optional<le::PingConfig> m_pendingStart; // waits for the stopped session's last records
    bool m_ended = true;                          // the timeline's data has ended (no session feeding it)
    std::vector<le::ParamChange> m_marks;         // for the next record
    // Starts sessions off the GUI thread; stop() discards a start still under way. Last member:
    // it is joined before the rest goes.
    BackgroundWorker m_starter{this, "session start"};
};
