#pragma once

#include "background_worker.h"
#include "ping_config.h"
#include "run_history.h"

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

    explicit SessionBridge(QObject* parent = nullptr);
    ~SessionBridge() override;

    // Starts measuring with `config` (its duration is ignored: runs last until stop()). The history
    // goes on from where it was, so a restart (new engine, loop mode) continues the same curves.
    // The timeline gets a "start" marker, or "restart" when the stop before it said so.
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

    // Applies a live change ("rate", "10k"); returns an empty string or why it was refused.
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

private:
    void poll();
    void setState(State s, const QString& reason = {});
    void finishStart(const JobResult<std::shared_ptr<le::PingSession>>& started);
    std::shared_ptr<le::RunHistory> newHistory() const;
    // Adds the session's summary to the history, less what a New Run cut off (clearHistory()).
    void addSummary(le::IntervalRecord summary);
    // Marks the end of the data on the timeline: a marker labelled `label` and a gap.
    void markEnd(const QString& label);

    std::shared_ptr<le::PingSession> m_session;
    std::shared_ptr<le::RunHistory> m_history;
    le::PingConfig m_config;
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
    bool m_ended = true;                  // the timeline's data has ended (no session feeding it)
    std::vector<le::ParamChange> m_marks; // for the next record
    // Starts sessions off the GUI thread; stop() discards a start still under way. Last member:
    // it is joined before the rest goes.
    BackgroundWorker m_starter{this, "session start"};
};
