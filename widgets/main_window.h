#pragma once

#include "ping_config.h"
#include "redraw_cadence.h"
#include "report_export.h"
#include "session_bridge.h"

#include <QMainWindow>
#include <QTimer>

#include <optional>

namespace le {
struct SweepPointResult;
}

class AgentsPanel;
class CompareDialog;
class ControlsPanel;
class DistributionPlot;
class HistogramPlot;
class OverlayRuns;
class PeerPanel;
class PercentilePlot;
class PongProcess;
class QAction;
class QActionGroup;
class QLabel;
class QMenu;
class QSplitter;
class QTabWidget;
class SplitPlot;
class StatusReadout;
class SweepTab;

// Settings the window starts with; the command line fills it, QSettings provides the rest.
struct WindowOptions {
    std::optional<le::Endpoint> peer; // an existing peer (else the local pong child)
    std::optional<le::Transport> transport;
    std::optional<le::EngineKind> engine;
    std::optional<QString> rate, payload, tasks, pingCpus, pongCpus;
    std::optional<int> burst;
    std::optional<bool> openLoop;
    std::optional<bool> kernelTimestamps; // the round-trip split (--kernel-timestamps)
    bool inProcess = false;
    bool autoStart = true;
};

// The window: the peer, controls and agents panels docked at the left, the live dashboard
// (histogram and distribution side by side, percentiles over time below, the round-trip split
// beside them while it is on) and the Sweep tab in the middle, the live figures in the status bar.
// Its children carry object names ("peerPanel", "agentsPanel", "controlsPanel", "histogramPlot",
// "percentilePlot", "splitPlot", "distributionPlot",
// "dashboard", "pongProcess", "overlayRuns", "compareAction", ...) for scripts and tests.
//
// Its code is split by concept: main_window.cpp builds and wires it and runs the measurement,
// main_window_menus.cpp has the menus and the toolbar, main_window_split.cpp the round-trip split,
// main_window_files.cpp what it reads and writes (sessions, records, remembered settings), window_export.cpp
// its pictures.
class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(const WindowOptions& options, QWidget* parent = nullptr);
    ~MainWindow() override;

    // The measuring session behind the window.
    SessionBridge* bridge() const { return m_bridge; }
    // Tabs: the live dashboard first, sweeps second.
    QTabWidget* tabs() const { return m_tabs; }
    SweepTab* sweepTab() const { return m_sweepTab; }

    // Starts measuring with the panels' settings against the chosen peer; a bad setting is shown in
    // the peer panel instead.
    void startMeasuring();
    // Stops measuring (and the pong child); everything measured stays.
    void stopMeasuring();
    // Measures against `peer` as an existing peer (an agent's endpoint); a running measurement
    // switches over, marked on the curves.
    void measureAgainst(const le::Endpoint& peer);
    // Loads a saved session as an overlay; returns an empty string or the error shown to the user.
    QString openSession(const QString& path);
    // Saves the live run as a session file; returns an empty string or the error.
    QString saveSession(const QString& path);
    // Interval records of the live run as CSV or JSON lines (by extension); returns an empty
    // string or the error.
    QString exportRecords(const QString& path);
    // The live run (`run` empty) or the opened run named `run` as an HdrHistogram interval log
    // (hlog_run.h); returns an empty string or the error.
    QString exportIntervalLog(const QString& path, const QString& run = {});
    // Names of the runs opened as overlays, in order (what exportIntervalLog() takes besides live).
    QStringList openedRunNames() const;
    // The current tab's plots as a report page (ReportExport: conditions block, light theme, vector
    // in PDF/SVG), by default at the window's size; returns an empty string or the error.
    QString exportWindow(const QString& path, ExportOptions options = {});
    // --screenshot: PNG/JPG are the window as it is on screen (docks and all); PDF/SVG the report
    // page of exportWindow(). Returns an empty string or the error.
    QString screenshot(const QString& path);
    // One CSV per live plot in `dir` (curves.csv, histogram.csv, distribution.csv) holding the
    // series exactly as drawn; returns an empty string or the error.
    QString exportPlotData(const QString& dir);
    // A note at the current time on the timeline, saved with the run.
    void addNote(const QString& text);
    // The sliding window of the curves, histograms and readout (0.1 to 10 s), remembered.
    void setWindowSeconds(double seconds);
    // What the exports state: the live run's conditions, or, before anything was measured, those of
    // the first saved run opened as an overlay (--open FILE --export IMAGE).
    ExportConditions exportConditions() const;
    // Nothing lost on quit (main_window_quit.cpp). The live run is autosaved to recoveryPath() (beside
    // the remembered settings) every 30 s and when a run stops; a recovery file left by an earlier
    // window is moved aside to offeredRecoveryPath() and offered at start (a non-modal box named
    // "recoveryBox": save it, show it as an overlay, or discard it). Closing the window with a run
    // not saved since it last grew asks first (save / discard / cancel); a decided quit removes the
    // recovery file.
    static QString recoveryPath();
    static QString offeredRecoveryPath();
    bool hasUnsavedRun() const;
    // Shows the offered recovered run as an overlay; returns an empty string or the error.
    QString showRecoveredRun();

    // "Keep as baseline" (Run menu, object name "baselineAction"): a copy of the live run as it is
    // now becomes an overlay named "baseline HH:MM:SS", without a save/open round trip.
    void keepAsBaseline();
    // Overlays shifted in time (main_window_shift.cpp; View menu "shiftOverlayAction" and
    // "alignOverlayAction"): the percentiles over time draw overlay `index` (in OverlayRuns::runs()
    // order) `seconds` later, typed as "12", "-3.5" or "+2 s" (OverlayRuns::parseShift()). Returns
    // an empty string or why it is refused, in which case nothing changes.
    QString shiftOverlay(int index, const QString& seconds);
    // Draws overlay `index` from the live run's current start (its latest start or restart marker)
    // instead of from 0; returns an empty string or why not.
    QString alignOverlayWithLive(int index);
    // Presentation mode (F11, "presentAction"): full screen, the live plots only, larger fonts and a
    // large p50 / p99 / rate readout ("presentReadout"), readable from the back of a room.
    void setPresenting(bool on);
    bool presenting() const { return m_presenting; }

    // Redraws the plots now, visible or not (exports, tests).
    void refreshPlots(bool force);
    // A paused view keeps measuring but no longer redraws the plots.
    void setPaused(bool paused);

protected:
    void closeEvent(QCloseEvent* event) override;
    // The first show brings the whole window, frame and title bar included, onto the screen.
    void showEvent(QShowEvent* event) override;

private:
    // A sweep or a comparison measures alone (main_window_exclusive.cpp): live measuring stops for
    // it, the status bar says what runs, and resumeLive() restarts live measuring if it was on.
    // The live timeline gets a `marker` ("compare", "sweep") where it began and "<marker> end"
    // where it ended; its clock runs on meanwhile, so the slices are marked where they ran.
    void pauseLiveFor(const QString& what, const QString& marker);
    void resumeLive(const QString& marker);
    // A sweep point was measured: marked on the live timeline where its measured time began.
    void markSweepPoint(const le::SweepPointResult& point);
    void setUpRecovery();
    void keepMemoryBounded(); // few malloc arenas, free pages handed back (process_memory.h)
    void buildPresentActions(QMenu* view, QMenu* run);
    void buildShiftActions(QMenu* view);
    // The overlay a shift is for: the only one, or the one the user picks; -1 when none or cancelled.
    int chooseOverlay(const QString& title);
    void updatePresentReadout();
    void autosave();
    // The quit prompt; true when the window may close.
    bool confirmQuit();
    void offerRecovery();
    void buildDashboard();
    // The kernel-timestamp split (main_window_split.cpp): the split plot beside the percentiles over
    // time in `bottom`, shown while the controls' toggle is on; toggling restarts the data path
    // ("kernel-timestamps=on" on the timeline); both plots show the same stretch of time.
    void buildSplitView(QSplitter* bottom);
    void connectSplit();
    // The controls' split state from the newest record ("yes", "no: why").
    void updateSplitState();
    // The redraw timer and what each tick redraws (main_window_redraw.cpp).
    void startRedrawTimer();
    // The plots `due` now (a tick of the cadence; all of them for refreshPlots(force)).
    void refreshPlots(const RedrawCadence::Due& due, bool force);
    // The status bar's figures from the newest records (the redraw timer's every third tick).
    void showReadout();
    // Plots drawn live (PlotBase::setLiveDrawing) while the run streams and the view is not paused.
    void updateLiveDrawing();
    void buildDocks();
    void buildActions();
    void connectPanels();
    void loadSettings(const WindowOptions& options);
    // Shrinks and moves the window so that its frame lies within the screen's available area.
    void fitToScreen();
    // Overload safety (main_window_overload.cpp): the tasks control learns the engine's limit and
    // the ping's cores; tasks restored from the settings into an overload are not applied until the
    // user says so (a box named "restoreOverloadBox").
    void setUpOverloadGuard(bool tasksFromCommandLine);
    void saveSettings() const;
    le::PingConfig configFromControls() const;
    void onStateChanged(SessionBridge::State state, const QString& reason);
    // A state text cut to its first two parts ("peer lost: latency-pong exited with code 0"), for
    // the places with room for one or two lines.
    static QString briefState(const QString& text);
    void onChangeRequested(const QString& key, const QString& value);
    // Shows why a live change was refused: on its control, and in the status bar.
    void showRefusal(const QString& key, const QString& error);
    // Engine or loop mode changed while running: `change` is "engine=asio" or "loop=open".
    void restartDataPath(const QString& change);
    // The A/B comparison dialog (created on first use), its base set from the controls.
    CompareDialog* compareDialog();
    // Asks for a file and the export options (ExportDialog), then exports `plot`'s report page.
    void exportPlotDialog(QWidget* plot, const QString& name);
    void exportIntervalLogDialog();
    void showError(const QString& title, const QString& text);

    SessionBridge* m_bridge;
    PongProcess* m_pong;
    OverlayRuns* m_overlays;
    PeerPanel* m_peer;
    AgentsPanel* m_agentsPanel;
    ControlsPanel* m_controls;
    QWidget* m_dashboard;
    QTabWidget* m_tabs;
    SweepTab* m_sweepTab;
    HistogramPlot* m_histogram;
    PercentilePlot* m_percentiles;
    DistributionPlot* m_distribution;
    SplitPlot* m_split;
    StatusReadout* m_readout = nullptr;
    CompareDialog* m_compare = nullptr;
    QTimer m_redraw;
    RedrawCadence m_cadence;
    bool m_dirty = true;
    bool m_paused = false;
    double m_timeWindow = 60; // seconds of the percentiles over time; 0 = the whole run
    QString m_pendingRestart; // the change the data path restarts for ("loop=open"), else empty
    std::optional<le::Endpoint> m_pendingPeer; // the peer that restart switches to

    bool m_presenting = false;
    bool m_fitted = false; // fitToScreen() ran after the first show
    QLabel* m_presentReadout = nullptr;
    QByteArray m_statePresenting;  // docks and toolbars before presentation mode
    bool m_resumeLive = false;     // live measuring was on when a sweep or comparison took over
    QLabel* m_exclusive = nullptr; // "A/B comparison running …" in the status bar
    QTimer m_autosave;
    QTimer m_memoryRelease; // hands malloc's free pages back every 30 s (keepMemoryBounded)
    std::weak_ptr<const le::RunHistory> m_saved, m_autosaved; // the run as last saved / autosaved
    std::size_t m_savedCount = 0, m_autosavedCount = 0;       // and its interval count then

    QAction* m_startAction = nullptr;
    QAction* m_stopAction = nullptr;
    QAction* m_pauseAction = nullptr;
    QAction* m_wholeRunAction = nullptr;
    QAction* m_followAction = nullptr;
    QAction* m_splitP99Action = nullptr;     // the split's p99 lines instead of its stacked p50s
    QString m_splitShown;                    // the split's availability last shown (updateSplitState)
    QActionGroup* m_windowActions = nullptr; // View > Percentile Window
    // Seconds of full detail kept when the curves show the whole run (older ones: 1 s records).
    static constexpr double kWholeRunDetail = 300;
};
