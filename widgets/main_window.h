#pragma once

#include "ping_config.h"
#include "session_bridge.h"

#include <QMainWindow>
#include <QTimer>

#include <optional>

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
class QTabWidget;
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
    bool inProcess = false;
    bool autoStart = true;
};

// The window: the peer, controls and agents panels docked at the left, the live dashboard
// (histogram and distribution side by side, percentiles over time below) and the Sweep tab in the
// middle, the live figures in the status bar. Its children carry object names ("peerPanel",
// "agentsPanel", "controlsPanel", "histogramPlot", "percentilePlot", "distributionPlot",
// "dashboard", "pongProcess", "overlayRuns", "compareAction", ...) for scripts and tests.
//
// Its code is split by concept: main_window.cpp builds and wires it and runs the measurement,
// main_window_menus.cpp has the menus and the toolbar, main_window_files.cpp what it reads and
// writes (sessions, records, images, remembered settings).
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
    // The whole window (PNG/JPG) or the dashboard (PDF/SVG) at its current size; returns an empty
    // string or the error.
    QString exportWindow(const QString& path);
    // One CSV per live plot in `dir` (curves.csv, histogram.csv, distribution.csv) holding the
    // series exactly as drawn; returns an empty string or the error.
    QString exportPlotData(const QString& dir);
    // A note at the current time on the timeline, saved with the run.
    void addNote(const QString& text);
    // The sliding window of the curves, histograms and readout (0.1 to 10 s), remembered.
    void setWindowSeconds(double seconds);
    // Redraws the plots now, visible or not (exports, tests).
    void refreshPlots(bool force);
    // A paused view keeps measuring but no longer redraws the plots.
    void setPaused(bool paused);

protected:
    void closeEvent(QCloseEvent* event) override;

private:
    void buildDashboard();
    void buildDocks();
    void buildActions();
    void connectPanels();
    void loadSettings(const WindowOptions& options);
    void saveSettings() const;
    le::PingConfig configFromControls() const;
    void onStateChanged(SessionBridge::State state, const QString& reason);
    void onChangeRequested(const QString& key, const QString& value);
    // Engine or loop mode changed while running: `change` is "engine=asio" or "loop=open".
    void restartDataPath(const QString& change);
    // The A/B comparison dialog (created on first use), its base set from the controls.
    CompareDialog* compareDialog();
    void exportPlotDialog(QWidget* plot, const QString& name);
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
    StatusReadout* m_readout = nullptr;
    CompareDialog* m_compare = nullptr;
    QTimer m_redraw;
    bool m_dirty = true;
    bool m_paused = false;
    QString m_pendingRestart; // the change the data path restarts for ("loop=open"), else empty
    std::optional<le::Endpoint> m_pendingPeer; // the peer that restart switches to

    QAction* m_startAction = nullptr;
    QAction* m_stopAction = nullptr;
    QAction* m_pauseAction = nullptr;
    QAction* m_wholeRunAction = nullptr;
    QAction* m_followAction = nullptr;
    QActionGroup* m_windowActions = nullptr; // View > Percentile Window
    // Seconds of full detail kept when the curves show the whole run (older ones: 1 s records).
    static constexpr double kWholeRunDetail = 300;
};
