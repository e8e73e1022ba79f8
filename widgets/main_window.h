#pragma once

#include "ping_config.h"
#include "plot_runs.h"
#include "session_bridge.h"

#include <QMainWindow>
#include <QTimer>

class CompareDialog;
class ControlsPanel;
class DistributionPlot;
class HistogramPlot;
class PeerPanel;
class AgentsPanel;
class PercentilePlot;
class PongProcess;
class QAction;
class QLabel;
class QTabWidget;
class SweepTab;

// Settings the window starts with; the command line fills it, QSettings provides the rest.
struct WindowOptions {
    std::optional<le::Endpoint> peer; // an existing peer (else the local pong child)
    std::optional<le::Transport> transport;
    std::optional<le::EngineKind> engine;
    std::optional<QString> rate, payload, tasks, pingCpus, pongCpus;
    std::optional<int> burst;
    bool inProcess = false;
    bool autoStart = true;
};

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(const WindowOptions& options, QWidget* parent = nullptr);
    ~MainWindow() override;

    SessionBridge* bridge() const { return m_bridge; }
    PongProcess* pong() const { return m_pong; }
    PeerPanel* peerPanel() const { return m_peer; }
    AgentsPanel* agentsPanel() const { return m_agentsPanel; }
    ControlsPanel* controls() const { return m_controls; }
    HistogramPlot* histogramPlot() const { return m_histogram; }
    PercentilePlot* percentilePlot() const { return m_percentiles; }
    DistributionPlot* distributionPlot() const { return m_distribution; }
    QWidget* dashboard() const { return m_dashboard; }
    // Tabs: the live dashboard first, sweeps second.
    QTabWidget* tabs() const { return m_tabs; }
    SweepTab* sweepTab() const { return m_sweepTab; }
    const QList<std::shared_ptr<const le::RunHistory>>& overlays() const { return m_overlays; }
    int redraws() const { return m_redraws; }
    // The A/B comparison dialog (created on first use).
    CompareDialog* compareDialog();

    void startMeasuring();
    void stopMeasuring();
    // Measures against `peer` as an existing peer (an agent's endpoint); a running measurement
    // switches over, marked on the curves.
    void measureAgainst(const le::Endpoint& peer);
    // Loads a saved session as an overlay; returns an empty string or the error shown to the user.
    QString openSession(const QString& path);
    QString saveSession(const QString& path);
    // Interval records of the live run as CSV or JSON lines (by extension).
    QString exportRecords(const QString& path);
    // The whole window (PNG/JPG) or the dashboard (PDF/SVG) at its current size.
    QString exportWindow(const QString& path);
    // Redraws the plots now, visible or not (exports, tests).
    void refreshPlots(bool force);
    void setPaused(bool paused);

protected:
    void closeEvent(QCloseEvent* event) override;

private:
    void buildActions();
    void buildDocks();
    void loadSettings(const WindowOptions& options);
    void saveSettings() const;
    le::PingConfig configFromControls() const;
    void onStateChanged(SessionBridge::State state, const QString& reason);
    void onChangeRequested(const QString& key, const QString& value);
    // Engine or loop mode changed while running: `change` is "engine=asio" or "loop=open".
    void restartDataPath(const QString& change);
    void updateStatus();
    void exportPlotDialog(QWidget* plot, const QString& name);
    void showError(const QString& title, const QString& text);

    SessionBridge* m_bridge;
    PongProcess* m_pong;
    PeerPanel* m_peer;
    AgentsPanel* m_agentsPanel;
    ControlsPanel* m_controls;
    QWidget* m_dashboard;
    QTabWidget* m_tabs;
    SweepTab* m_sweepTab;
    HistogramPlot* m_histogram;
    PercentilePlot* m_percentiles;
    DistributionPlot* m_distribution;
    QList<std::shared_ptr<const le::RunHistory>> m_overlays;
    QList<std::shared_ptr<const le::RunHistory>> m_comparison; // runs of the last A/B comparison
    CompareDialog* m_compare = nullptr;
    QTimer m_redraw;
    bool m_dirty = true;
    bool m_paused = false;
    int m_redraws = 0;
    QString m_pendingRestart; // the change the data path restarts for ("loop=open"), else empty
    std::optional<le::Endpoint> m_pendingPeer; // the peer that restart switches to

    QAction* m_startAction = nullptr;
    QAction* m_stopAction = nullptr;
    QAction* m_pauseAction = nullptr;
    QAction* m_wholeRunAction = nullptr;
    QAction* m_followAction = nullptr;
    QLabel* m_rateLabel;
    QLabel* m_throughputLabel;
    QLabel* m_countsLabel;
    QLabel* m_percentilesLabel;
    QLabel* m_cpuLabel;
    QLabel* m_elapsedLabel;
};
